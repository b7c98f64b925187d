#pragma once
// WriterStates: the writer thread's per-transaction state (writer.hpp,
// TransactionState): the conversations' counters (ConversationSeqs), and,
// when the search index is on, the hand-over to the SearchIndexer: after each
// transaction, the conversations it changed (the indexer reads the changes
// itself, later, on its own thread: search_indexer.hpp).
//
// Ownership: the SqliteStore owns it; the Writer and the write jobs borrow it;
// the indexer (may be null) must outlive the Writer.
// Thread-safety: none; the writer thread only.

#include <vector>

#include "store/sqlite/conversation_seqs.hpp"
#include "store/sqlite/search_indexer.hpp"
#include "store/sqlite/writer.hpp"

namespace parley::store::sqlite {

class WriterStates final : public TransactionState {
 public:
  explicit WriterStates(SearchIndexer* indexer) : indexer_(indexer) {}

  ConversationSeqs& seqs() { return seqs_; }

  Status before_commit(Connection& db) override {
    if (indexer_ != nullptr) {
      changed_.clear();
      seqs_.conversations(changed_);
    }
    return seqs_.before_commit(db);
  }
  void job_released() override { seqs_.job_released(); }
  void job_rolled_back() override { seqs_.job_rolled_back(); }
  // After COMMIT (or a rollback: then the indexer finds nothing new).
  void transaction_ended() override {
    seqs_.transaction_ended();
    if (indexer_ != nullptr) {
      indexer_->changed(changed_);
      changed_.clear();
    }
  }

 private:
  SearchIndexer* const indexer_;
  ConversationSeqs seqs_;
  std::vector<Id> changed_;  // before_commit → transaction_ended
};

}  // namespace parley::store::sqlite
