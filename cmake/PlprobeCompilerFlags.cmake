# Warning and sanitizer flags shared by every plprobe target.
# plprobe_add_library()/plprobe_add_executable() apply them, so a folder's
# CMakeLists.txt never repeats them.

add_library(plprobe_flags INTERFACE)
target_compile_options(plprobe_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wimplicit-fallthrough -Wcast-align
  # g++ 12 misreads Boost 1.74's awaitable frame allocator (operator new and
  # delete are both Asio's recycling allocator) as a mismatched pair.
  -Wno-mismatched-new-delete)
if(PLPROBE_WERROR)
  target_compile_options(plprobe_flags INTERFACE -Werror)
endif()
# Boost 1.74's Asio predates g++ 12's coroutine diagnostics; this keeps its
# headers quiet without hiding our own warnings (they are system headers).
target_compile_definitions(plprobe_flags INTERFACE BOOST_ASIO_NO_DEPRECATED)

if(PLPROBE_SANITIZE)
  string(REPLACE "," ";" _sanitizers "${PLPROBE_SANITIZE}")
  set(_san_flags "-fsanitize=${PLPROBE_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # UBSan's vptr check reads the object's memory through a pipe it opens on
  # the spot; tests that run the process out of descriptors on purpose (the
  # engine must queue, not fail) then get false "invalid vptr" reports. The
  # rest of UBSan stays on.
  if(PLPROBE_SANITIZE MATCHES "undefined")
    list(APPEND _san_flags -fno-sanitize=vptr)
  endif()
  target_compile_options(plprobe_flags INTERFACE ${_san_flags})
  target_link_options(plprobe_flags INTERFACE ${_san_flags})
endif()

# Asio is header-only and slow to parse: plprobe_common precompiles it
# (common/CMakeLists.txt) and every other target reuses that one PCH rather
# than building its own (three dozen targets, tens of seconds each on a
# 2-core machine). GCC accepts the reuse only when the definitions the
# header sees match, so every target links plprobe_common, whose usage
# requirements carry them (Boost's, fmt's); the definitions that differ
# (tests' PLPROBE_*_DIR, GTEST_*) are not used by the precompiled header.
function(plprobe_reuse_pch name)
  if(NOT name STREQUAL "plprobe_common")
    target_link_libraries(${name} PRIVATE plprobe_common)
    target_precompile_headers(${name} REUSE_FROM plprobe_common)
  endif()
endfunction()

function(plprobe_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_link_libraries(${name} PUBLIC plprobe_flags)
  target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}")
  plprobe_reuse_pch(${name})
endfunction()

function(plprobe_add_executable name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE plprobe_flags)
  plprobe_reuse_pch(${name})
endfunction()
