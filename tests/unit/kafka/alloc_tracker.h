// Records the largest single allocation made through operator new, so a
// test can show that hostile sizes and counts never turn into big buffers.
// Linking alloc_tracker.cc replaces the global operator new/delete of the
// whole test binary (plain, array and nothrow forms; the aligned forms keep their
// defaults and are not counted). Thread-safe.
#pragma once

#include <cstddef>

namespace plprobe::testing {

void reset_largest_allocation();
std::size_t largest_allocation();

}  // namespace plprobe::testing
