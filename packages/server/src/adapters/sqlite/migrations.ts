// The SQLite schema as an ordered list of migrations, applied at startup and tracked in `PRAGMA user_version`.

import type { Database } from "better-sqlite3-multiple-ciphers";

export interface Migration {
  /** 1, 2, 3…: the `user_version` the database has once this migration is applied. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Append only: a released migration is never edited, because databases in the field already ran it.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER
      ) STRICT;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_name TEXT NOT NULL,
        refresh_hash TEXT NOT NULL,
        previous_refresh_hash TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE contacts (
        owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        contact_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner_id, contact_id)
      ) STRICT, WITHOUT ROWID;

      -- direct_key ("smallerId:largerId") makes "one direct conversation per pair" a constraint, not a hope.
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
        title TEXT,
        direct_key TEXT UNIQUE,
        created_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE members (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_seq INTEGER NOT NULL,
        left_seq INTEGER,
        delivered_seq INTEGER NOT NULL DEFAULT 0,
        read_seq INTEGER NOT NULL DEFAULT 0,
        receipt_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      ) STRICT, WITHOUT ROWID;
      -- Serves listMemberships and the viewer side of the presence visibility join.
      CREATE INDEX members_user ON members (user_id, conversation_id);

      -- Clustered by (conversation, seq): history pages are contiguous range scans. No foreign keys here on purpose:
      -- the membership check on append already guarantees both, and FK probes would cost the hot path.
      CREATE TABLE messages (
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        client_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('text', 'system')),
        body TEXT,
        event_json TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      ) STRICT, WITHOUT ROWID;
      -- The idempotency key of sends; system events (client_id NULL) stay out of it.
      CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: "replies, edits, deletes and reactions",
    sql: `
      -- Replies, edits and deletes change the target row in place (body replaced or NULLed): history, sync and any
      -- index over the body see the latest state only. Action entries keep kind 'system' (the CHECK predates them)
      -- and carry their payload in action_json, never a copy of a body.
      ALTER TABLE messages ADD COLUMN reply_to INTEGER;
      ALTER TABLE messages ADD COLUMN edited_at INTEGER;
      ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
      ALTER TABLE messages ADD COLUMN action_json TEXT;

      CREATE TABLE reactions (
        conversation_id TEXT NOT NULL,
        target_seq INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        emoji TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, target_seq, user_id, emoji)
      ) STRICT, WITHOUT ROWID;

      -- "Delete for me": per user, applied when that user reads; hidden_at feeds sync's change feed.
      CREATE TABLE hidden_messages (
        user_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hidden_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, conversation_id, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX hidden_messages_at ON hidden_messages (user_id, hidden_at);
    `,
  },
  {
    version: 3,
    name: "media: uploads, blobs, message attachments",
    sql: `
      -- The bytes live in the BlobStore under sha256 (thumbnails too); a row here is the metadata of one upload.
      CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        uploader_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mime_type TEXT NOT NULL,
        name TEXT NOT NULL,
        width INTEGER,
        height INTEGER,
        thumb_sha256 TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX uploads_sha ON uploads (sha256);
      CREATE INDEX uploads_thumb ON uploads (thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
      CREATE INDEX uploads_created ON uploads (created_at);

      -- Which messages share which uploads: authorizes downloads and keeps shared uploads from expiring.
      CREATE TABLE message_attachments (
        upload_id TEXT NOT NULL REFERENCES uploads (id),
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (upload_id, conversation_id, seq)
      ) STRICT, WITHOUT ROWID;

      -- Reference bookkeeping of the content-addressed blobs: claimed (touched_at) by every upload of the same bytes,
      -- marked (deleting_at) by a sweeper while it deletes the bytes.
      CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        touched_at INTEGER NOT NULL,
        deleting_at INTEGER
      ) STRICT;

      -- The attachments' metadata as sent (JSON array), so reading messages needs no join.
      ALTER TABLE messages ADD COLUMN attachments_json TEXT;
    `,
  },
  {
    // Push notifications. "Forever" is stored as 8.64e15 (the largest JS date) so that every `until` compares as a number.
    version: 4,
    name: "push subscriptions, notification settings and conversation mutes",
    sql: `
      CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'webpush',
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_success_at INTEGER,
        last_failure_at INTEGER,
        failures INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, created_at);
      CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);

      CREATE TABLE notification_settings (
        user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        dnd_until INTEGER,
        previews INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE conversation_mutes (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        until INTEGER NOT NULL,
        PRIMARY KEY (user_id, conversation_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: "full-text search over text messages",
    sql: `
      -- An FTS5 row needs an integer id and messages is WITHOUT ROWID: a message's search row id is
      -- (conversation search_key << 32) | seq, so it needs no table of its own, and a conversation's messages are one
      -- contiguous rowid range. search_key is stored (a rowid may change on VACUUM) and never reused.
      ALTER TABLE conversations ADD COLUMN search_key INTEGER;
      UPDATE conversations SET search_key = rowid;
      CREATE UNIQUE INDEX conversations_search_key ON conversations (search_key);
      CREATE TRIGGER conversations_search_key AFTER INSERT ON conversations
      WHEN new.search_key IS NULL
      BEGIN
        UPDATE conversations SET search_key = (SELECT coalesce(max(search_key), 0) + 1 FROM conversations)
        WHERE id = new.id;
      END;

      -- Contentless (the text lives only in messages) with deletes, so an edit or a delete drops the old words.
      -- body: the words, tokenized like domain/search-query.ts folds them (unicode61, case and accents folded);
      -- detail=full (the default) keeps positions, which phrases need. conv: one token 'k<search_key>' per row, so a
      -- search can be limited to the caller's conversations inside the index, before any row is ranked or joined.
      CREATE VIRTUAL TABLE message_search USING fts5(
        body,
        conv,
        content = '',
        contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2'
      );

      -- The index follows the table: whoever writes messages (send, edit, delete) keeps search current.
      CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
      WHEN new.kind = 'text' AND new.body IS NOT NULL
      BEGIN
        INSERT INTO message_search (rowid, body, conv)
          SELECT (search_key << 32) | new.seq, new.body, 'k' || search_key FROM conversations WHERE id = new.conversation_id;
      END;

      -- Any change of body or kind re-indexes: the old words go, the new ones come if it is still a text with a body.
      CREATE TRIGGER messages_search_update AFTER UPDATE OF body, kind ON messages
      WHEN (old.kind = 'text' OR new.kind = 'text') AND (new.body IS NOT old.body OR new.kind IS NOT old.kind)
      BEGIN
        DELETE FROM message_search WHERE rowid =
          (SELECT (search_key << 32) | old.seq FROM conversations WHERE id = old.conversation_id);
        INSERT INTO message_search (rowid, body, conv)
          SELECT (search_key << 32) | new.seq, new.body, 'k' || search_key FROM conversations
          WHERE id = new.conversation_id AND new.kind = 'text' AND new.body IS NOT NULL;
      END;

      CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
      WHEN old.kind = 'text'
      BEGIN
        DELETE FROM message_search WHERE rowid =
          (SELECT (search_key << 32) | old.seq FROM conversations WHERE id = old.conversation_id);
      END;

      INSERT INTO message_search (rowid, body, conv)
        SELECT (c.search_key << 32) | m.seq, m.body, 'k' || c.search_key
        FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.kind = 'text' AND m.body IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: "search indexing off the send path",
    sql: `
      -- Indexing a message in the send's transaction cost more than the rest of the insert: FTS5 tokenizes the body
      -- and writes a new index segment at every commit. Now a write only records which search rows are due (the
      -- search row id, as in migration 5) and the store's background indexer (search-indexer.ts) indexes them in
      -- batches, one transaction per batch, reading each body as it is at that moment; a search first indexes whatever
      -- is still pending, so it sees every committed write. Invariant: a key is pending or indexed, never both.
      CREATE TABLE search_pending (
        key INTEGER PRIMARY KEY
      ) STRICT;

      DROP TRIGGER messages_search_insert;
      CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
      WHEN new.kind = 'text' AND new.body IS NOT NULL
      BEGIN
        INSERT OR IGNORE INTO search_pending (key)
          SELECT (search_key << 32) | new.seq FROM conversations WHERE id = new.conversation_id;
      END;

      -- The old words leave the index at once (a no-op for a row still pending: a contentless_delete table ignores an
      -- unknown rowid), the row becomes pending again if it is still a text with a body, and the indexer then reads
      -- the new body. An edit of a pending row thus never indexes twice.
      DROP TRIGGER messages_search_update;
      CREATE TRIGGER messages_search_update AFTER UPDATE OF body, kind ON messages
      WHEN (old.kind = 'text' OR new.kind = 'text') AND (new.body IS NOT old.body OR new.kind IS NOT old.kind)
      BEGIN
        DELETE FROM message_search WHERE rowid =
          (SELECT (search_key << 32) | old.seq FROM conversations WHERE id = old.conversation_id);
        INSERT OR IGNORE INTO search_pending (key)
          SELECT (search_key << 32) | new.seq FROM conversations
          WHERE id = new.conversation_id AND new.kind = 'text' AND new.body IS NOT NULL;
      END;

      DROP TRIGGER messages_search_delete;
      CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
      WHEN old.kind = 'text'
      BEGIN
        DELETE FROM message_search WHERE rowid =
          (SELECT (search_key << 32) | old.seq FROM conversations WHERE id = old.conversation_id);
        DELETE FROM search_pending WHERE key =
          (SELECT (search_key << 32) | old.seq FROM conversations WHERE id = old.conversation_id);
      END;
    `,
  },
  {
    version: 7,
    name: "reactions ordered by the entry that added them",
    sql: `
      -- Reactions were listed in created_at order, a millisecond clock: two reactions in the same millisecond fell
      -- back to user id order, not the order the conversation assigned them. entry_seq is the seq of the action entry
      -- that added the reaction, the one order every member sees. Rows from before this migration keep 0 and sort
      -- first (they are older than any new one), among themselves by created_at as before.
      ALTER TABLE reactions ADD COLUMN entry_seq INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    name: "consent to group adds and blocking",
    sql: `
      -- Who may add the user to groups ('everyone', 'contacts', 'nobody'); NULL: the server's default
      -- (PARLEY_GROUP_ADDS_DEFAULT), so that an operator's change of default reaches everyone who never chose.
      ALTER TABLE users ADD COLUMN group_adds TEXT CHECK (group_adds IN ('everyone', 'contacts', 'nobody'));

      -- owner_id blocked blocked_id: blocked_id cannot add owner_id to groups nor open or write a direct chat with them.
      CREATE TABLE blocks (
        owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        blocked_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner_id, blocked_id)
      ) STRICT, WITHOUT ROWID;
      -- blockedBy and refusingGroupAdd look blocks up from the blocked user's side.
      CREATE INDEX blocks_blocked ON blocks (blocked_id, owner_id);

      -- Who created a group, for the daily creation limit (the owner role can pass to someone else). Existing groups
      -- take the author of their creation entry (seq 1); direct conversations keep NULL and stay out of the index.
      ALTER TABLE conversations ADD COLUMN created_by TEXT;
      UPDATE conversations SET created_by =
        (SELECT sender_id FROM messages WHERE conversation_id = conversations.id AND seq = 1)
      WHERE kind = 'group';
      CREATE INDEX conversations_creator ON conversations (created_by, created_at) WHERE created_by IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: "search index with a prefix index",
    sql: `
      -- A prefix query ("dep*") without a prefix index makes FTS5 merge the word lists of every word starting with
      -- it, over the whole index, before anything else: one account could hold the server for a second per search
      -- (security.md, "Search cost"). prefix = '3' also indexes every word's first three characters
      -- (MIN_PREFIX_LENGTH in domain/search-query.ts), so a prefix term is one lookup. The rest is as in migration 5;
      -- the conv column now bounds each search to one conversation at a time (sqlite-search.ts). The index is
      -- contentless, so it is rebuilt from messages here, once, at the upgrade; rows still pending stay pending.
      DROP TABLE message_search;
      CREATE VIRTUAL TABLE message_search USING fts5(
        body,
        conv,
        content = '',
        contentless_delete = 1,
        prefix = '3',
        tokenize = 'unicode61 remove_diacritics 2'
      );
      INSERT INTO message_search (rowid, body, conv)
        SELECT (c.search_key << 32) | m.seq, m.body, 'k' || c.search_key
        FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.kind = 'text' AND m.body IS NOT NULL
          AND ((c.search_key << 32) | m.seq) NOT IN (SELECT key FROM search_pending)
        ORDER BY 1;
    `,
  },
  {
    version: 10,
    name: "administration: server role, deactivation, settings, invitations, password resets, audit log",
    sql: `
      -- 'admin' for the server's administrators (not a conversation role); NULL for everyone else.
      ALTER TABLE users ADD COLUMN server_role TEXT CHECK (server_role IN ('admin'));
      -- Set while an administrator has the account deactivated: sign-in refused, sessions revoked, messages kept.
      ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

      -- Server-wide settings administrators change at run time (registration mode; later retention and the like).
      -- The key 'first_admin' records who became administrator as the server's first account (claimed once).
      CREATE TABLE server_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Invitations: only a hash of the secret is kept, as for refresh tokens.
      CREATE TABLE invites (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        note TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        max_uses INTEGER,
        uses INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER
      ) STRICT;

      -- One-time password-reset links; issuing a new one spends the user's older ones.
      CREATE TABLE password_resets (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) STRICT;
      CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;

      -- What administrators did. Append-only, enforced here: no statement may change or remove an entry. The actor
      -- and target are plain ids (no foreign keys), so an entry outlives what it names.
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      `,
  },
  {
    version: 11,
    name: "malware scan status of uploads",
    sql: `
      -- 'clean': scanned, nothing found; 'unscanned': the scanner gave no verdict and PARLEY_SCAN_ON_FAILURE=flag let
      -- the file in; 'off': no scanner was configured (every upload before this migration). Infected files are never
      -- recorded.
      ALTER TABLE uploads ADD COLUMN scan_status TEXT NOT NULL DEFAULT 'off'
        CHECK (scan_status IN ('clean', 'unscanned', 'off'));
    `,
  },
  {
    version: 12,
    name: "moderation reports",
    sql: `
      -- Users' reports of messages for the administrators' queue. Plain ids (no foreign keys): a report outlives what it
      -- names. While open (resolved_at NULL) a reporter has at most one report per message.
      CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        reporter_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        note TEXT,
        created_at INTEGER NOT NULL,
        resolved_at INTEGER,
        resolved_by TEXT,
        resolution TEXT CHECK (resolution IN ('dismissed', 'removed'))
      ) STRICT;
      CREATE UNIQUE INDEX reports_open_once ON reports (conversation_id, seq, reporter_id) WHERE resolved_at IS NULL;
      CREATE INDEX reports_queue ON reports (created_at DESC, id DESC);
      `,
  },
  {
    version: 13,
    name: "a user's own messages and uploads, for the data export",
    sql: `
      -- GET /v1/me/export pages through what one user sent and uploaded; without these it would scan every message.
      CREATE INDEX messages_sender ON messages (sender_id, conversation_id, seq);
      CREATE INDEX uploads_uploader ON uploads (uploader_id, id);
      `,
  },
  {
    version: 14,
    name: "single sign-on",
    sql: `
      -- A provider's subject signs into one account; an account has at most one subject of each issuer.
      CREATE TABLE sso_identities (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, subject),
        UNIQUE (issuer, user_id)
      ) WITHOUT ROWID;
      -- One-time grants by the hash of their secret: a sign-in's state (PKCE verifier, nonce) and exchange codes.
      CREATE TABLE sso_grants (
        id_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('state', 'code')),
        data TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sso_grants_expiry ON sso_grants (expires_at);
    `,
  },
  {
    version: 15,
    name: "retention and disappearing messages",
    sql: `
      -- Seconds (NULL: unset). expired_seq is the low watermark of the conversation's sequence: every entry at or below
      -- it was deleted by the retention sweeper, and it only grows, so several sweepers can race on it safely.
      ALTER TABLE conversations ADD COLUMN retention_seconds INTEGER;
      ALTER TABLE conversations ADD COLUMN disappear_seconds INTEGER;
      ALTER TABLE conversations ADD COLUMN expired_seq INTEGER NOT NULL DEFAULT 0;
      -- When expired_seq last moved (ms; 0: never): sync lists the conversation to devices that synced before it.
      ALTER TABLE conversations ADD COLUMN expired_at INTEGER NOT NULL DEFAULT 0;
      -- The sweeper deletes a conversation's attachment links and hidden marks by seq range (reactions' primary key
      -- already starts with (conversation, seq)).
      CREATE INDEX message_attachments_seq ON message_attachments (conversation_id, seq);
      CREATE INDEX hidden_messages_seq ON hidden_messages (conversation_id, seq);
      -- Without a server maximum only conversations with a limit of their own can expire: the sweep reads just these.
      CREATE INDEX conversations_limited ON conversations (id)
        WHERE retention_seconds IS NOT NULL OR disappear_seconds IS NOT NULL;
    `,
  },
  {
    version: 16,
    name: "group bans",
    sql: `
      -- Users banned from a group by its owner or an admin (members.ban): nobody can add them back until unbanned.
      -- Plain ids like reports: a ban names the group and the people; it has no life of its own to cascade.
      CREATE TABLE group_bans (
        conversation_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        banned_by TEXT NOT NULL,
        reason TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 17,
    name: "link previews",
    sql: `
      -- The cache of links.preview (services/link-previews/): what a URL's page showed, or why it could not be
      -- previewed (failure), until expires_at; a failure is kept for a shorter time than a preview.
      CREATE TABLE link_previews (
        url TEXT PRIMARY KEY,
        title TEXT,
        description TEXT,
        site_name TEXT,
        image_id TEXT,
        failure TEXT,
        fetched_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX link_previews_expiry ON link_previews (expires_at);
      -- The thumbnail of a preview's image, served by its random id; it goes when its answer is replaced or expires.
      CREATE TABLE link_preview_images (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        bytes BLOB NOT NULL
      );
      CREATE INDEX link_preview_images_url ON link_preview_images (url);
    `,
  },
  {
    version: 18,
    name: "pinned and forwarded messages",
    sql: `
      -- One row per pinned text message; the latest pin counts (pinned_by, pinned_at, entry_seq: the pin's entry).
      -- The primary key serves the listing (a conversation has a few dozen pins at most), the delete of a tombstoned
      -- message's pin and the retention sweep by seq range.
      CREATE TABLE pins (
        conversation_id TEXT NOT NULL,
        target_seq INTEGER NOT NULL,
        pinned_by TEXT NOT NULL,
        pinned_at INTEGER NOT NULL,
        entry_seq INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, target_seq)
      ) STRICT, WITHOUT ROWID;
      -- 1 for a copy made by messages.forward.
      ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 19,
    name: "profile pictures",
    sql: `
      -- The user's profile picture: an upload of theirs (both sizes, services/thumbnails.ts), kept while referenced.
      ALTER TABLE users ADD COLUMN avatar_id TEXT REFERENCES uploads (id);
      -- The upload sweeper and GET /v1/avatars/:id ask whether an upload is someone's picture.
      CREATE INDEX users_avatar ON users (avatar_id) WHERE avatar_id IS NOT NULL;
    `,
  },
  {
    version: 20,
    name: "MLS device and KeyPackage directories",
    sql: `
      -- One MLS signature key per device session (docs/e2ee.md); the device leaves with its session.
      CREATE TABLE e2ee_devices (
        device_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        signature_key BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX e2ee_devices_user ON e2ee_devices (user_id);
      -- Single-use packages (last_resort 0, taken oldest first) and at most one last-resort package per device.
      CREATE TABLE e2ee_key_packages (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES e2ee_devices (device_id) ON DELETE CASCADE,
        last_resort INTEGER NOT NULL,
        data BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX e2ee_key_packages_device ON e2ee_key_packages (device_id, last_resort, id);
    `,
  },
  {
    version: 21,
    name: "encrypted conversations and the MLS delivery service",
    sql: `
      -- Fixed at creation. mls_epoch is the epoch the next commit must name (compare-and-set); the latest GroupInfo
      -- lets a device join by an external commit.
      ALTER TABLE conversations ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN mls_epoch INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN mls_group_info BLOB;
      -- The opaque MLS message of an entry of an encrypted conversation, its epoch and sending device.
      ALTER TABLE messages ADD COLUMN mls_epoch INTEGER;
      ALTER TABLE messages ADD COLUMN mls_device TEXT;
      ALTER TABLE messages ADD COLUMN mls_data BLOB;
      CREATE TABLE e2ee_welcomes (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        data BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE e2ee_welcome_recipients (
        device_id TEXT NOT NULL REFERENCES e2ee_devices (device_id) ON DELETE CASCADE,
        welcome_id TEXT NOT NULL REFERENCES e2ee_welcomes (id) ON DELETE CASCADE,
        PRIMARY KEY (device_id, welcome_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX e2ee_welcome_recipients_welcome ON e2ee_welcome_recipients (welcome_id);
    `,
  },
  {
    version: 22,
    name: "mentions notify in muted conversations",
    sql: `
      -- A user's choice that a message mentioning them (<@userId> in its body) notifies even where they muted.
      ALTER TABLE notification_settings ADD COLUMN mentions_in_muted INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 23,
    name: "channels",
    sql: `
      -- Channels (docs/channels.md) are conversations with settings: a row whose channel_visibility is set is a channel
      -- (read as kind "channel"; kind stays 'group' because SQLite cannot change the kind CHECK without rebuilding the
      -- table, and both engines store it alike). The settings are fixed at creation.
      ALTER TABLE conversations ADD COLUMN channel_visibility TEXT CHECK (channel_visibility IN ('public', 'private'));
      ALTER TABLE conversations ADD COLUMN channel_posting TEXT CHECK (channel_posting IN ('everyone', 'admins'));
      ALTER TABLE conversations ADD COLUMN channel_history TEXT CHECK (channel_history IN ('full', 'from_join'));
      -- The directory: public channels by title (any case), then id.
      CREATE INDEX conversations_channel_directory ON conversations (lower(title), id) WHERE channel_visibility = 'public';
      -- channels.readCount: current members whose read position reached a seq, counted over an index.
      CREATE INDEX members_read ON members (conversation_id, read_seq) WHERE left_seq IS NULL;
      -- channels.members: pages of current members by (role, user id).
      CREATE INDEX members_role ON members (conversation_id, role, user_id) WHERE left_seq IS NULL;
      -- Members who chose to be notified of every message of a channel (the notifier never walks the member list).
      CREATE TABLE channel_notify_all (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (conversation_id, user_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 24,
    name: "member counts",
    sql: `
      -- The number of current members (conversations.get, the channel directory and the member limit read it instead
      -- of counting up to 100,000 member rows). Kept by triggers, so every write of members rows moves it in its own
      -- transaction, the store's and any other (a benchmark or test seeding rows directly).
      ALTER TABLE conversations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
      UPDATE conversations
        SET member_count = (SELECT count(*) FROM members WHERE conversation_id = conversations.id AND left_seq IS NULL);
      CREATE TRIGGER members_count_insert AFTER INSERT ON members WHEN NEW.left_seq IS NULL BEGIN
        UPDATE conversations SET member_count = member_count + 1 WHERE id = NEW.conversation_id;
      END;
      -- Receipts update other columns of members: only a change of left_seq fires this one.
      CREATE TRIGGER members_count_update AFTER UPDATE OF left_seq ON members
        WHEN (OLD.left_seq IS NULL) <> (NEW.left_seq IS NULL) BEGIN
        UPDATE conversations SET member_count = member_count + (CASE WHEN NEW.left_seq IS NULL THEN 1 ELSE -1 END)
          WHERE id = NEW.conversation_id;
      END;
      CREATE TRIGGER members_count_delete AFTER DELETE ON members WHEN OLD.left_seq IS NULL BEGIN
        UPDATE conversations SET member_count = member_count - 1 WHERE id = OLD.conversation_id;
      END;
    `,
  },
  {
    version: 25,
    name: "channel invitations",
    sql: `
      -- Invitation links of private channels are invitations like the server's (migration 10: expiry, uses,
      -- revocation), scoped to a channel; NULL: an invitation to register on the server.
      ALTER TABLE invites ADD COLUMN conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE;
      CREATE INDEX invites_conversation ON invites (conversation_id, created_at) WHERE conversation_id IS NOT NULL;
    `,
  },
  {
    version: 26,
    name: "search index merged in bounded steps",
    sql: `
      -- FTS5 merged index segments inside the write that crossed a threshold (automerge 4): at full size tens to
      -- hundreds of milliseconds in one commit, on the event loop. With automerge 0 no write merges (except FTS5's
      -- crisis merge of 16 segments on one level, which the steps below keep from happening); the search indexer
      -- (search-indexer.ts) merges instead, in steps of a few pages, between the event loop's other work. The setting
      -- is stored in the index's own configuration table, so every connection follows it.
      INSERT INTO message_search (message_search, rank) VALUES ('automerge', 0);
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = Math.max(0, ...MIGRATIONS.map((m) => m.version));

/**
 * Brings the database up to SCHEMA_VERSION, each migration in its own transaction together with the version bump,
 * so a crash mid-way leaves a database that the next start resumes. Returns how many migrations ran (0 when current).
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  // Features get version numbers as they are planned, so numbers can have gaps and the list may not be in order.
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const latest = ordered.at(-1)?.version ?? 0;
  if (current > latest) {
    // An older build must not write to a schema it does not understand.
    throw new Error(`database schema version ${current} is newer than this build supports (${latest})`);
  }
  let applied = 0;
  for (const migration of ordered) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
    })();
    applied++;
  }
  return applied;
}
