#include "auth/sodium.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace parley::auth::detail {

void ensure_sodium() {
  // A function-local static is initialised exactly once, even under concurrent first calls.
  static const bool ready = [] {
    if (sodium_init() < 0) {
      std::fputs("parley: libsodium failed to initialise\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)ready;
}

}  // namespace parley::auth::detail
