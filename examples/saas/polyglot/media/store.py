"""Media's own storage in this implementation: SQLite (standard library), one file.

Images, thumbnails and an outbox written in the same transactions as the changes they
announce, so an event is never lost nor sent for a change that did not happen.
"""
import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone

SCHEMA = """
create table if not exists images (
  id text primary key, post_id text not null, owner_id text not null, content_type text not null,
  size_bytes integer not null, original blob not null, etag text not null, status text not null,
  width integer, height integer, failure text, created_at text not null);
create table if not exists thumbnails (
  image_id text not null, variant text not null, content_type text not null, width integer not null,
  height integer not null, data blob not null, etag text not null, primary key (image_id, variant));
create table if not exists outbox (
  seq integer primary key autoincrement, id text not null unique, name text not null, aggregate_key text not null,
  payload text not null, traceparent text, created_at text not null, pending text not null);
"""


class Store:
    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.executescript(SCHEMA)
        # One connection, one writer at a time: SQLite serialises writes anyway.
        self._lock = threading.Lock()

    def _query(self, sql, args=()):
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def ping(self) -> bool:
        return self._query("select 1") == [(1,)]

    def insert_image(self, image_id, post_id, owner_id, content_type, data: bytes, etag: str):
        self._query(
            "insert into images values (?, ?, ?, ?, ?, ?, ?, 'processing', null, null, null, ?)",
            (image_id, post_id, owner_id, content_type, len(data), data, etag, now()),
        )

    def image(self, image_id):
        rows = self._query("select id, post_id, status, content_type, original, etag from images where id = ?", (image_id,))
        return dict(zip(("id", "post_id", "status", "content_type", "original", "etag"), rows[0])) if rows else None

    def thumbnail(self, image_id, variant):
        rows = self._query("select data, content_type, etag from thumbnails where image_id = ? and variant = ?", (image_id, variant))
        return dict(zip(("data", "content_type", "etag"), rows[0])) if rows else None

    def next_processing(self):
        """Images owed thumbnails, oldest first: the durable work queue (survives a restart)."""
        return [r[0] for r in self._query("select id from images where status = 'processing' order by created_at limit 16")]

    def finish(self, image_id, made, event):
        with self._lock:
            self._db.execute("begin")
            try:
                for t in made["thumbnails"]:
                    self._db.execute(
                        "insert or ignore into thumbnails values (?, ?, 'image/webp', ?, ?, ?, ?)",
                        (image_id, t["variant"], t["width"], t["height"], t["data"], t["etag"]),
                    )
                self._db.execute("update images set status = 'ready', width = ?, height = ? where id = ?", (made["width"], made["height"], image_id))
                self._append(event)
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise

    def fail(self, image_id, reason: str):
        self._query("update images set status = 'failed', failure = ? where id = ?", (reason[:500], image_id))

    def _append(self, event):
        self._db.execute(
            "insert into outbox (id, name, aggregate_key, payload, traceparent, created_at, pending) values (?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), event["name"], event["aggregateKey"], json.dumps(event["payload"]), event.get("traceparent"), now(), json.dumps(event["subscribers"])),
        )

    def pending_for(self, service: str, limit=100):
        rows = self._query("select seq, id, name, aggregate_key, payload, traceparent, created_at, pending from outbox where pending like ? order by seq limit ?", (f'%"{service}"%', limit))
        return [
            {"seq": str(r[0]), "id": r[1], "name": r[2], "aggregateKey": r[3], "payload": json.loads(r[4]), "traceparent": r[5], "createdAt": r[6], "pending": json.loads(r[7])}
            for r in rows
            if service in json.loads(r[7])
        ]

    def pending_services(self):
        services = set()
        for (pending,) in self._query("select pending from outbox where pending != '[]'"):
            services.update(json.loads(pending))
        return services

    def delivered(self, seqs, service: str):
        with self._lock:
            self._db.execute("begin")
            for seq in seqs:
                (pending,) = self._db.execute("select pending from outbox where seq = ?", (int(seq),)).fetchone()
                left = [s for s in json.loads(pending) if s != service]
                self._db.execute("update outbox set pending = ? where seq = ?", (json.dumps(left), int(seq)))
            self._db.execute("commit")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
