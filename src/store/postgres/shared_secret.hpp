#pragma once
// A secret shared by every node of one database (the JWT signing secret in
// cluster mode, docs/deploy-cluster.md "The shared secret"): the first node to
// start stores its candidate, every node reads back the one stored. Kept in the
// table parley_settings (migration 2): whoever can read that table can mint
// tokens, which is why --jwt-secret is still offered.
//
// Thread-safety: a free function; blocking (bounded by connect_timeout_s and a
// statement timeout), for start-up.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace parley::store::postgres {

// INSERT (name, candidate) ON CONFLICT DO NOTHING, then the stored value.
// Errors: unavailable (database away), internal (an empty stored value).
Result<std::string> load_or_store_shared_secret(const std::string& conninfo, std::string_view name,
                                                std::string_view candidate, int connect_timeout_s = 5);

}  // namespace parley::store::postgres
