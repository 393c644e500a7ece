// Fuzz target: the CNAME-chain walker over arbitrary DNS answers. It must
// never read out of bounds, loop forever or allocate without bound.
#include <cstddef>
#include <cstdint>

#include "resolvers/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto chain = plprobe::resolvers::read_cname_chain(data, size);
  if (chain && chain->size() > 32) __builtin_trap();  // the walker caps chains at 32 hops
  return 0;
}
