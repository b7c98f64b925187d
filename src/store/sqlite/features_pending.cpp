// SCAFFOLDING of branch conv-base: replaced by the backend's feature queries.
#include "store/sqlite/sqlite_store_impl.hpp"

namespace parley::store::sqlite {

namespace {
Error pending() { return Error::internal("conversation features: not built in this backend yet"); }
}  // namespace

Result<MessageRow> SqliteStore::edit_message(Id, std::string_view, const std::vector<Id>&, TimeMs) { return pending(); }
Result<ReactionChange> SqliteStore::set_reaction(Id, Id, std::string_view, bool, TimeMs, int) { return pending(); }
Result<std::vector<MessageRow>> SqliteStore::changed_messages(Id, Seq, int) { return pending(); }
Status SqliteStore::set_muted(Id, Id, bool) { return pending(); }
Result<std::vector<SearchHit>> SqliteStore::search_messages(const SearchQuery&) { return pending(); }

}  // namespace parley::store::sqlite
