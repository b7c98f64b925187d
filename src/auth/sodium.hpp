#pragma once
// Internal to parley_auth: libsodium's one-time initialisation.
//
// Thread-safety: ensure_sodium() may be called from any thread, any number of times.

namespace parley::auth::detail {

// Initialises libsodium on first call. Aborts if libsodium cannot initialise
// (no usable randomness source): nothing in auth is safe without it.
void ensure_sodium();

}  // namespace parley::auth::detail
