#!/usr/bin/env python3
"""What an FTS5 index costs per inserted row, by how the rows reach it (docs/benchmarks.md,
"Search"). The same 40,000 rows of 12 words (a 5,000-word vocabulary, skewed) are inserted
into a table in transactions of 1,000, through the sqlite3 command-line shell (the system's
SQLite, the library Parley links), with:

  none          no index
  bulk          one INSERT INTO fts SELECT ... per transaction, after its rows
  per-row       one INSERT INTO fts per row, in the transaction
  per-row-sp    the same, each row inside its own SAVEPOINT (how the store's writer runs
                every job, so that a failed job rolls back alone)
  trigger-sp    an AFTER INSERT trigger fills the index, each row inside its own SAVEPOINT

FTS5 writes its pending terms out as a new segment whenever a savepoint or statement
transaction ends, so per-row-sp and trigger-sp make one segment per row, which its
automerge then merges again and again.

    python3 bench/store/fts5_savepoint.py [ROWS]
"""
import os
import random
import subprocess
import sys
import tempfile
import time

rows_n = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
per_txn = 1000
rng = random.Random(16)
words = ["w%d" % i for i in range(5000)]
rows = [" ".join(rng.choice(words[: rng.choice([50, 500, 5000])]) for _ in range(12)) for _ in range(rows_n)]

SCHEMA = """PRAGMA journal_mode=WAL;
CREATE TABLE m(id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE s USING fts5(body, content='m', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
"""
TRIGGER = "CREATE TRIGGER t AFTER INSERT ON m BEGIN INSERT INTO s(rowid, body) VALUES (new.id, new.body); END;\n"


def row_sql(i, index, savepoint):
    sql = "INSERT INTO m(id, body) VALUES (%d, '%s');" % (i + 1, rows[i])
    if index:
        sql += " INSERT INTO s(rowid, body) VALUES (%d, '%s');" % (i + 1, rows[i])
    return ("SAVEPOINT job; %s RELEASE job;\n" if savepoint else "%s\n") % sql


def script(kind):
    out = [SCHEMA, TRIGGER if kind == "trigger-sp" else ""]
    for b in range(0, rows_n, per_txn):
        out.append("BEGIN;\n")
        for i in range(b, min(b + per_txn, rows_n)):
            out.append(row_sql(i, kind in ("per-row", "per-row-sp"), kind in ("per-row-sp", "trigger-sp")))
        if kind == "bulk":
            out.append("INSERT INTO s(rowid, body) SELECT id, body FROM m WHERE id BETWEEN %d AND %d;\n" % (b + 1, b + per_txn))
        out.append("COMMIT;\n")
    return "".join(out)


with tempfile.TemporaryDirectory() as tmp:
    base = None
    for kind in ["none", "bulk", "per-row", "per-row-sp", "trigger-sp"]:
        sql = script(kind)
        db = os.path.join(tmp, kind + ".db")
        start = time.perf_counter()
        subprocess.run(["sqlite3", db], input=sql.encode(), check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - start
        base = took if base is None else base
        extra = "" if kind == "none" else ", the index %.0f µs per row" % ((took - base) / rows_n * 1e6)
        print("fts5-savepoint: %-11s %.2f s for %d rows%s" % (kind, took, rows_n, extra))
