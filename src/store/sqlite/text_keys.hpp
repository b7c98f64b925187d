#pragma once
// Derived lookup keys stored beside the values they index.
//
// Case folding is ASCII only: usernames are [a-z0-9_.] and emails compare ASCII
// case-insensitively; display names fold their ASCII letters and keep the rest
// as typed (a case-insensitive prefix search on non-ASCII letters would need ICU).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "common/ids.hpp"

namespace parley::store::sqlite {

std::string fold_case(std::string_view text);

// The exclusive upper bound of every string that starts with `prefix`, for a
// range scan `key >= prefix AND key < prefix_end(prefix)` on a BINARY-collated
// column: byte 0xFF never occurs in UTF-8, so prefix + "\xFF" sorts after every
// valid string with that prefix and before every greater string without it.
std::string prefix_end(std::string_view prefix);

// "minId:maxId": the UNIQUE key of the direct conversation between two users.
std::string direct_key(Id a, Id b);

}  // namespace parley::store::sqlite
