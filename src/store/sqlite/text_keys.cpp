#include "store/sqlite/text_keys.hpp"

#include <algorithm>

namespace parley::store::sqlite {

std::string fold_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string out(prefix);
  out.push_back('\xFF');
  return out;
}

std::string direct_key(Id a, Id b) {
  return std::to_string(std::min(a, b)) + ":" + std::to_string(std::max(a, b));
}

}  // namespace parley::store::sqlite
