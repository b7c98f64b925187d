// SCAFFOLDING of branch conv-base: replaced by the backend's feature queries.
#include "store/postgres/postgres_store_impl.hpp"

namespace parley::store::postgres {

namespace {
Error pending() { return Error::internal("conversation features: not built in this backend yet"); }
}  // namespace

Result<MessageRow> PostgresStore::edit_message(Id, std::string_view, const std::vector<Id>&, TimeMs) { return pending(); }
Result<ReactionChange> PostgresStore::set_reaction(Id, Id, std::string_view, bool, TimeMs, int) { return pending(); }
Result<std::vector<MessageRow>> PostgresStore::changed_messages(Id, Seq, int) { return pending(); }
Status PostgresStore::set_muted(Id, Id, bool) { return pending(); }
Result<std::vector<SearchHit>> PostgresStore::search_messages(const SearchQuery&) { return pending(); }

}  // namespace parley::store::postgres
