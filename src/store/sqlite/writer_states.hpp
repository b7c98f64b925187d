#pragma once
// WriterStates: the writer thread's per-transaction state (writer.hpp,
// TransactionState): the conversations' counters (ConversationSeqs) and the
// messages waiting for the search index (SearchPending, used only when the
// index is on). The Writer drives both through this one object.
//
// Ownership: the SqliteStore owns it; the Writer and the write jobs borrow it.
// Thread-safety: none; the writer thread only.

#include "store/sqlite/conversation_seqs.hpp"
#include "store/sqlite/search_index.hpp"
#include "store/sqlite/writer.hpp"

namespace parley::store::sqlite {

class WriterStates final : public TransactionState {
 public:
  explicit WriterStates(bool search_enabled) : search_enabled_(search_enabled) {}

  ConversationSeqs& seqs() { return seqs_; }
  // Null when the index is off: then nothing is noted or indexed.
  SearchPending* search() { return search_enabled_ ? &search_ : nullptr; }

  Status before_commit(Connection& db) override {
    if (Status s = seqs_.before_commit(db); !s) return s;
    return search_.before_commit(db);
  }
  void job_released() override {
    seqs_.job_released();
    search_.job_released();
  }
  void job_rolled_back() override {
    seqs_.job_rolled_back();
    search_.job_rolled_back();
  }
  void transaction_ended() override {
    seqs_.transaction_ended();
    search_.transaction_ended();
  }

 private:
  const bool search_enabled_;
  ConversationSeqs seqs_;
  SearchPending search_;
};

}  // namespace parley::store::sqlite
