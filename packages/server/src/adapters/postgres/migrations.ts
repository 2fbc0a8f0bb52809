// The PostgreSQL schema as an ordered list of migrations, tracked in `parley_migrations` and applied by one node at a time.
//
// Partitioning at scale. Every hot query names its conversation (append, history, last message, unread counts), so
// `messages` partitions by hash of conversation_id without changing a query:
//
//   CREATE TABLE messages (...) PARTITION BY HASH (conversation_id);
//   CREATE TABLE messages_p00 PARTITION OF messages FOR VALUES WITH (MODULUS 64, REMAINDER 0);   -- … up to 63
//
// The primary key (conversation_id, seq) contains the partition key, so it stays a real constraint and every history
// page is a range scan inside one partition; the per-conversation row lock on `conversations` remains the only point
// where writers of one conversation serialize. What changes: PostgreSQL cannot enforce a unique index that omits the
// partition key, so the idempotency key (sender_id, client_id) moves to a small table of its own, hash-partitioned by
// sender_id, written in the same transaction (or becomes (conversation_id, sender_id, client_id), since a resend always
// targets the conversation of the original). 64 partitions are cheap to create up front and later split by
// re-attaching; past one machine, the same layout distributes by conversation_id (Citus) with `conversations`,
// `members` and `messages` co-located, so one conversation's append stays on one shard.

import type { Client } from "pg";

export interface Migration {
  /** 1, 2, 3…: the row this migration adds to `parley_migrations`. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Append only: a released migration is never edited, because databases in the field already ran it.
// Identifiers use COLLATE "C": byte order like SQLite's, cheaper comparisons, and the same sort on every server locale.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE users (
        id text COLLATE "C" PRIMARY KEY,
        username text COLLATE "C" NOT NULL CONSTRAINT users_username_key UNIQUE,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        created_at bigint NOT NULL,
        last_seen_at bigint
      );

      CREATE TABLE sessions (
        id text COLLATE "C" PRIMARY KEY,
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_name text NOT NULL,
        refresh_hash text NOT NULL,
        previous_refresh_hash text,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        revoked_at bigint
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE contacts (
        owner_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        contact_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        PRIMARY KEY (owner_id, contact_id)
      );
      -- The cascade from users (contact_id side) would otherwise scan the table.
      CREATE INDEX contacts_contact ON contacts (contact_id);

      -- last_seq is the per-conversation sequence: its row lock serializes the writers of one conversation across
      -- nodes. It is updated on every batch and not indexed, so free space per page keeps those updates HOT.
      CREATE TABLE conversations (
        id text COLLATE "C" PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('direct', 'group')),
        title text,
        -- "smallerId:largerId" makes "one direct conversation per pair" a constraint that concurrent nodes cannot race.
        direct_key text COLLATE "C" CONSTRAINT conversations_direct_key UNIQUE,
        created_at bigint NOT NULL,
        last_seq bigint NOT NULL DEFAULT 0
      ) WITH (fillfactor = 70);

      -- Receipts rewrite these rows constantly (watermarks are not indexed): same fillfactor reasoning.
      CREATE TABLE members (
        conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_seq bigint NOT NULL,
        left_seq bigint,
        delivered_seq bigint NOT NULL DEFAULT 0,
        read_seq bigint NOT NULL DEFAULT 0,
        receipt_at bigint NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      ) WITH (fillfactor = 80);
      -- Serves listMemberships, the viewer side of the presence visibility join and the cascade from users.
      CREATE INDEX members_user ON members (user_id, conversation_id);

      -- The primary key (conversation, seq) serves history, last message and unread counts as range scans. No foreign
      -- keys on purpose: the membership check on append already guarantees both, and FK probes would cost the hot path.
      CREATE TABLE messages (
        conversation_id text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        id text COLLATE "C" NOT NULL,
        sender_id text COLLATE "C" NOT NULL,
        client_id text COLLATE "C",
        kind text NOT NULL CHECK (kind IN ('text', 'system')),
        body text,
        -- json, not jsonb: an opaque payload that is never queried into, stored and returned exactly as written.
        event json,
        created_at bigint NOT NULL,
        CONSTRAINT messages_pkey PRIMARY KEY (conversation_id, seq)
      );
      -- The idempotency key of sends; system events (client_id NULL) stay out of it.
      CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: "replies, edits, deletes and reactions",
    sql: `
      -- Replies, edits and deletes change the target row in place (body replaced or NULLed): history, sync and any
      -- index over the body see the latest state only. Action entries keep kind 'system', like in SQLite, and carry
      -- their payload in action, never a copy of a body.
      ALTER TABLE messages ADD COLUMN reply_to bigint, ADD COLUMN edited_at bigint, ADD COLUMN deleted_at bigint,
        ADD COLUMN action json;

      CREATE TABLE reactions (
        conversation_id text COLLATE "C" NOT NULL,
        target_seq bigint NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        emoji text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (conversation_id, target_seq, user_id, emoji)
      );

      -- "Delete for me": per user, applied when that user reads; hidden_at feeds sync's change feed.
      CREATE TABLE hidden_messages (
        user_id text COLLATE "C" NOT NULL,
        conversation_id text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        hidden_at bigint NOT NULL,
        PRIMARY KEY (user_id, conversation_id, seq)
      );
      CREATE INDEX hidden_messages_at ON hidden_messages (user_id, hidden_at);
    `,
  },
  {
    version: 3,
    name: "media: uploads, blobs, message attachments",
    sql: `
      -- The bytes live in the BlobStore under sha256 (thumbnails too); a row here is the metadata of one upload.
      CREATE TABLE uploads (
        id text COLLATE "C" PRIMARY KEY,
        uploader_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        sha256 text COLLATE "C" NOT NULL,
        size bigint NOT NULL,
        mime_type text NOT NULL,
        name text NOT NULL,
        width integer,
        height integer,
        thumb_sha256 text COLLATE "C",
        created_at bigint NOT NULL
      );
      CREATE INDEX uploads_sha ON uploads (sha256);
      CREATE INDEX uploads_thumb ON uploads (thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
      CREATE INDEX uploads_created ON uploads (created_at);
      CREATE INDEX uploads_uploader ON uploads (uploader_id);

      -- Which messages share which uploads: authorizes downloads and keeps shared uploads from expiring.
      CREATE TABLE message_attachments (
        upload_id text COLLATE "C" NOT NULL REFERENCES uploads (id),
        conversation_id text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        position integer NOT NULL,
        PRIMARY KEY (upload_id, conversation_id, seq)
      );

      -- Reference bookkeeping of the content-addressed blobs: claimed (touched_at) by every upload of the same bytes,
      -- marked (deleting_at) by a sweeper while it deletes the bytes.
      CREATE TABLE blobs (
        sha256 text COLLATE "C" PRIMARY KEY,
        size bigint NOT NULL,
        touched_at bigint NOT NULL,
        deleting_at bigint
      );

      -- The attachments' metadata as sent, so reading messages needs no join.
      ALTER TABLE messages ADD COLUMN attachments json;
    `,
  },
  {
    // Push notifications. "Forever" is stored as 8.64e15 (the largest JS date) so that every `until` compares as a number.
    // The VAPID key pair lives here in cluster mode, so that every node signs with the same keys (one row, first wins).
    version: 4,
    name: "push subscriptions, notification settings, conversation mutes and VAPID keys",
    sql: `
      CREATE TABLE push_subscriptions (
        endpoint text COLLATE "C" PRIMARY KEY,
        kind text NOT NULL DEFAULT 'webpush',
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        p256dh text NOT NULL,
        auth text NOT NULL,
        created_at bigint NOT NULL,
        last_success_at bigint,
        last_failure_at bigint,
        failures integer NOT NULL DEFAULT 0
      );
      CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, created_at);
      CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);

      CREATE TABLE notification_settings (
        user_id text COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        dnd_until bigint,
        previews boolean NOT NULL DEFAULT false
      );

      CREATE TABLE conversation_mutes (
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        until bigint NOT NULL,
        PRIMARY KEY (user_id, conversation_id)
      );

      CREATE TABLE push_vapid_keys (
        id smallint PRIMARY KEY CHECK (id = 1),
        public_key text NOT NULL,
        private_key text NOT NULL,
        created_at bigint NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: "full-text search over text messages",
    // A generated column follows every write of body (send, edit, delete to NULL) with no code in those paths.
    // 'simple': lower case, no stemming, no stop words, accents kept; see docs/architecture.md for why. Adding a
    // stored column rewrites the table once: on a large existing history, run this migration in a maintenance window.
    sql: `
      ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        CASE WHEN kind = 'text' AND body IS NOT NULL THEN to_tsvector('simple'::regconfig, body) END
      ) STORED;
      CREATE INDEX messages_search ON messages USING gin (search_vector);
    `,
  },
  {
    version: 7,
    name: "reactions ordered by the entry that added them",
    sql: `
      -- entry_seq: the seq of the action entry that added the reaction, the order reactions are listed in (as in
      -- SQLite's migration 7, which explains why); older rows keep 0 and sort first, by created_at among themselves.
      ALTER TABLE reactions ADD COLUMN entry_seq bigint NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    name: "consent to group adds and blocking",
    // As SQLite's migration 8 (which explains group_adds, blocks and created_by).
    sql: `
      ALTER TABLE users ADD COLUMN group_adds text CHECK (group_adds IN ('everyone', 'contacts', 'nobody'));
      CREATE TABLE blocks (
        owner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        blocked_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        PRIMARY KEY (owner_id, blocked_id)
      );
      CREATE INDEX blocks_blocked ON blocks (blocked_id, owner_id);
      ALTER TABLE conversations ADD COLUMN created_by text;
      UPDATE conversations SET created_by =
        (SELECT sender_id FROM messages WHERE conversation_id = conversations.id AND seq = 1)
      WHERE kind = 'group';
      CREATE INDEX conversations_creator ON conversations (created_by, created_at) WHERE created_by IS NOT NULL;
      -- Pages of a user's conversations compare ids byte by byte (COLLATE "C"), as clients do, whatever the database
      -- collation; this index serves those range reads.
      CREATE INDEX members_user_c ON members (user_id, conversation_id COLLATE "C");
    `,
  },
  {
    version: 10,
    name: "administration: server role, deactivation, settings, invitations, password resets, audit log",
    // As SQLite's migration 10 (which explains each table).
    sql: `
      ALTER TABLE users ADD COLUMN server_role text CHECK (server_role IN ('admin'));
      ALTER TABLE users ADD COLUMN deactivated_at bigint;
      CREATE TABLE server_settings (
        key text COLLATE "C" PRIMARY KEY,
        value text NOT NULL
      );
      CREATE TABLE invites (
        id text COLLATE "C" PRIMARY KEY,
        secret_hash text NOT NULL,
        note text,
        created_by text COLLATE "C" NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        max_uses integer,
        uses integer NOT NULL DEFAULT 0,
        revoked_at bigint
      );
      CREATE TABLE password_resets (
        id text COLLATE "C" PRIMARY KEY,
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        secret_hash text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint
      );
      CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        actor_id text COLLATE "C",
        action text NOT NULL,
        target text,
        details jsonb NOT NULL
      );
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END
      $$;
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
      `,
  },
  {
    version: 11,
    name: "malware scan status of uploads",
    // As SQLite's migration 11 (which explains the values).
    sql: `
      ALTER TABLE uploads ADD COLUMN scan_status text NOT NULL DEFAULT 'off'
        CHECK (scan_status IN ('clean', 'unscanned', 'off'));
    `,
  },
  {
    version: 12,
    name: "moderation reports",
    // As SQLite's migration 12 (which explains the table).
    sql: `
      CREATE TABLE reports (
        id text PRIMARY KEY,
        conversation_id text NOT NULL,
        seq bigint NOT NULL,
        reporter_id text NOT NULL,
        reason text NOT NULL,
        note text,
        created_at bigint NOT NULL,
        resolved_at bigint,
        resolved_by text,
        resolution text CHECK (resolution IN ('dismissed', 'removed'))
      );
      CREATE UNIQUE INDEX reports_open_once ON reports (conversation_id, seq, reporter_id) WHERE resolved_at IS NULL;
      CREATE INDEX reports_queue ON reports (created_at DESC, id DESC);
      `,
  },
  {
    version: 13,
    name: "a user's own messages and uploads, for the data export",
    // As SQLite's migration 13; uploads_uploader (migration 2) already serves the uploads.
    sql: `
      CREATE INDEX messages_sender ON messages (sender_id, conversation_id, seq);
      `,
  },
  {
    version: 14,
    name: "single sign-on",
    // As SQLite's migration 14.
    sql: `
      CREATE TABLE sso_identities (
        issuer text COLLATE "C" NOT NULL,
        subject text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        PRIMARY KEY (issuer, subject),
        UNIQUE (issuer, user_id)
      );
      CREATE TABLE sso_grants (
        id_hash text COLLATE "C" PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('state', 'code')),
        data text NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX sso_grants_expiry ON sso_grants (expires_at);
    `,
  },
  {
    version: 15,
    name: "retention and disappearing messages",
    // As SQLite's migration 15 (which explains the columns).
    sql: `
      ALTER TABLE conversations ADD COLUMN retention_seconds bigint;
      ALTER TABLE conversations ADD COLUMN disappear_seconds bigint;
      ALTER TABLE conversations ADD COLUMN expired_seq bigint NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN expired_at bigint NOT NULL DEFAULT 0;
      CREATE INDEX message_attachments_seq ON message_attachments (conversation_id, seq);
      CREATE INDEX hidden_messages_seq ON hidden_messages (conversation_id, seq);
      CREATE INDEX conversations_limited ON conversations (id)
        WHERE retention_seconds IS NOT NULL OR disappear_seconds IS NOT NULL;
    `,
  },
  {
    version: 16,
    name: "group bans",
    // As SQLite's migration 16 (which explains the table).
    sql: `
      CREATE TABLE group_bans (
        conversation_id text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        banned_by text COLLATE "C" NOT NULL,
        reason text,
        created_at bigint NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      );
    `,
  },
  {
    version: 17,
    name: "link previews",
    // As SQLite's migration 17 (which explains the tables).
    sql: `
      CREATE TABLE link_previews (
        url text COLLATE "C" PRIMARY KEY,
        title text,
        description text,
        site_name text,
        image_id text COLLATE "C",
        failure text,
        fetched_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX link_previews_expiry ON link_previews (expires_at);
      CREATE TABLE link_preview_images (
        id text COLLATE "C" PRIMARY KEY,
        url text COLLATE "C" NOT NULL,
        mime_type text NOT NULL,
        bytes bytea NOT NULL
      );
      CREATE INDEX link_preview_images_url ON link_preview_images (url);
    `,
  },
  {
    version: 18,
    name: "pinned and forwarded messages",
    // As SQLite's migration 18 (which explains the table).
    sql: `
      CREATE TABLE pins (
        conversation_id text COLLATE "C" NOT NULL,
        target_seq bigint NOT NULL,
        pinned_by text COLLATE "C" NOT NULL,
        pinned_at bigint NOT NULL,
        entry_seq bigint NOT NULL,
        PRIMARY KEY (conversation_id, target_seq)
      );
      ALTER TABLE messages ADD COLUMN forwarded boolean NOT NULL DEFAULT false;
    `,
  },
  {
    version: 19,
    name: "profile pictures",
    // As SQLite's migration 19.
    sql: `
      ALTER TABLE users ADD COLUMN avatar_id text COLLATE "C" REFERENCES uploads (id);
      CREATE INDEX users_avatar ON users (avatar_id) WHERE avatar_id IS NOT NULL;
    `,
  },
  {
    version: 20,
    name: "MLS device and KeyPackage directories",
    sql: `
      -- One MLS signature key per device session (docs/e2ee.md); the device leaves with its session.
      CREATE TABLE e2ee_devices (
        device_id text COLLATE "C" PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        signature_key BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX e2ee_devices_user ON e2ee_devices (user_id);
      -- Single-use packages (last_resort false, taken oldest first) and at most one last-resort package per device.
      CREATE TABLE e2ee_key_packages (
        id BIGSERIAL PRIMARY KEY,
        device_id text COLLATE "C" NOT NULL REFERENCES e2ee_devices (device_id) ON DELETE CASCADE,
        last_resort BOOLEAN NOT NULL,
        data BYTEA NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX e2ee_key_packages_device ON e2ee_key_packages (device_id, last_resort, id);
    `,
  },
  {
    version: 21,
    name: "encrypted conversations and the MLS delivery service",
    sql: `
      -- Fixed at creation. mls_epoch is the epoch the next commit must name (compare-and-set); the latest GroupInfo
      -- lets a device join by an external commit.
      ALTER TABLE conversations ADD COLUMN encrypted BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE conversations ADD COLUMN mls_epoch BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN mls_group_info BYTEA;
      -- The opaque MLS message of an entry of an encrypted conversation, its epoch and sending device.
      ALTER TABLE messages ADD COLUMN mls_epoch BIGINT;
      ALTER TABLE messages ADD COLUMN mls_device text COLLATE "C";
      ALTER TABLE messages ADD COLUMN mls_data BYTEA;
      CREATE TABLE e2ee_welcomes (
        id text COLLATE "C" PRIMARY KEY,
        conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        epoch BIGINT NOT NULL,
        data BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE e2ee_welcome_recipients (
        device_id text COLLATE "C" NOT NULL REFERENCES e2ee_devices (device_id) ON DELETE CASCADE,
        welcome_id text COLLATE "C" NOT NULL REFERENCES e2ee_welcomes (id) ON DELETE CASCADE,
        PRIMARY KEY (device_id, welcome_id)
      );
      CREATE INDEX e2ee_welcome_recipients_welcome ON e2ee_welcome_recipients (welcome_id);
    `,
  },
  {
    version: 22,
    name: "mentions notify in muted conversations",
    // As SQLite's migration 22.
    sql: `
      ALTER TABLE notification_settings ADD COLUMN mentions_in_muted boolean NOT NULL DEFAULT false;
    `,
  },
  {
    version: 23,
    name: "channels",
    sql: `
      -- Channels (docs/channels.md) are conversations with settings: a row whose channel_visibility is set is a channel
      -- (read as kind "channel"; kind stays 'group' because SQLite cannot change the kind CHECK without rebuilding the
      -- table, and both engines store it alike). The settings are fixed at creation.
      ALTER TABLE conversations ADD COLUMN channel_visibility text CHECK (channel_visibility IN ('public', 'private'));
      ALTER TABLE conversations ADD COLUMN channel_posting text CHECK (channel_posting IN ('everyone', 'admins'));
      ALTER TABLE conversations ADD COLUMN channel_history text CHECK (channel_history IN ('full', 'from_join'));
      -- The directory: public channels by title (any case), then id.
      CREATE INDEX conversations_channel_directory ON conversations (lower(title) COLLATE "C", id COLLATE "C")
        WHERE channel_visibility = 'public';
      -- channels.readCount: current members whose read position reached a seq, counted over an index.
      CREATE INDEX members_read ON members (conversation_id, read_seq) WHERE left_seq IS NULL;
      -- channels.members: pages of current members by (role, user id).
      CREATE INDEX members_role ON members (conversation_id, role, user_id) WHERE left_seq IS NULL;
      -- Members who chose to be notified of every message of a channel (the notifier never walks the member list).
      CREATE TABLE channel_notify_all (
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (conversation_id, user_id)
      );
    `,
  },
  {
    version: 24,
    name: "member counts",
    sql: `
      -- As in SQLite: the number of current members, kept by triggers in the transaction of every write of members
      -- rows. Inserts and deletes (bulk adds, seeding, a conversation's deletion) per statement over their transition
      -- tables; a change of left_seq per row (receipts update other columns and fire nothing).
      ALTER TABLE conversations ADD COLUMN member_count integer NOT NULL DEFAULT 0;
      UPDATE conversations AS c
        SET member_count = (SELECT count(*) FROM members WHERE conversation_id = c.id AND left_seq IS NULL);
      CREATE FUNCTION members_count_inserted() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        UPDATE conversations AS c SET member_count = c.member_count + d.n
        FROM (SELECT conversation_id, count(*) AS n FROM added WHERE left_seq IS NULL GROUP BY conversation_id) AS d
        WHERE c.id = d.conversation_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER members_count_insert AFTER INSERT ON members REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION members_count_inserted();
      CREATE FUNCTION members_count_deleted() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        UPDATE conversations AS c SET member_count = c.member_count - d.n
        FROM (SELECT conversation_id, count(*) AS n FROM gone WHERE left_seq IS NULL GROUP BY conversation_id) AS d
        WHERE c.id = d.conversation_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER members_count_delete AFTER DELETE ON members REFERENCING OLD TABLE AS gone
        FOR EACH STATEMENT EXECUTE FUNCTION members_count_deleted();
      CREATE FUNCTION members_count_updated() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        UPDATE conversations SET member_count = member_count + (CASE WHEN NEW.left_seq IS NULL THEN 1 ELSE -1 END)
        WHERE id = NEW.conversation_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER members_count_update AFTER UPDATE OF left_seq ON members
        FOR EACH ROW WHEN ((OLD.left_seq IS NULL) IS DISTINCT FROM (NEW.left_seq IS NULL))
        EXECUTE FUNCTION members_count_updated();
    `,
  },
  {
    version: 25,
    name: "channel invitations",
    sql: `
      -- As in SQLite: invitation links of private channels, scoped to the channel; NULL: to register on the server.
      ALTER TABLE invites ADD COLUMN conversation_id text COLLATE "C" REFERENCES conversations (id) ON DELETE CASCADE;
      CREATE INDEX invites_conversation ON invites (conversation_id, created_at) WHERE conversation_id IS NOT NULL;
    `,
  },
  {
    version: 26,
    name: "one-round-trip append of plain texts",
    sql: `
      -- The cluster log's common case in one call (adapters/postgres/plain-append.ts): plain text drafts, given as
      -- arrays, stored with the general append's rules. Each statement of a function takes a new snapshot (READ
      -- COMMITTED), so the checks after the lock see everything committed before it, as in the general transaction.
      -- Verdicts, in the general append's order: duplicate (sender, client id already stored), not_found, not_member,
      -- encrypted (a plaintext draft for an encrypted conversation: refused by the caller with the epoch), stored.
      CREATE FUNCTION append_plain(p_conversation text[], p_id text[], p_sender text[], p_client text[], p_body text[],
                                   p_created bigint[], p_forwarded boolean[])
      RETURNS TABLE (draft integer, verdict text, seq bigint, epoch bigint)
      LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
      BEGIN
        -- Sorted before locking, so two appends sharing conversations cannot deadlock (as the general append). Every
        -- lookup below is a LATERAL one-row probe of a unique index: the plans this function caches per connection
        -- stay index probes however much the tables grow after they were made (a join or EXISTS could be planned as a
        -- scan of the whole table while it was small, and keep that plan).
        PERFORM 1 FROM (SELECT DISTINCT k FROM unnest(p_conversation) AS k ORDER BY k) AS ids,
          LATERAL (SELECT 1 FROM conversations AS c WHERE c.id = ids.k FOR NO KEY UPDATE) AS locked;
        RETURN QUERY
        WITH d AS MATERIALIZED (
          SELECT u.* FROM unnest(p_conversation, p_id, p_sender, p_client, p_body, p_created, p_forwarded)
            WITH ORDINALITY AS u (conversation_id, id, sender_id, client_id, body, created_at, forwarded, i)
        ),
        v AS MATERIALIZED (
          SELECT d.*, c.last_seq, c.mls_epoch,
                 CASE WHEN dup.found THEN 'duplicate'
                      WHEN c.found IS NULL THEN 'not_found'
                      WHEN mem.found IS NULL THEN 'not_member'
                      WHEN c.encrypted THEN 'encrypted'
                      ELSE 'stored' END AS verdict
          FROM d
            LEFT JOIN LATERAL (SELECT true AS found, cc.last_seq, cc.mls_epoch, cc.encrypted FROM conversations AS cc
                               WHERE cc.id = d.conversation_id LIMIT 1) AS c ON true
            LEFT JOIN LATERAL (SELECT true AS found FROM messages AS m
                               WHERE m.sender_id = d.sender_id AND m.client_id = d.client_id AND m.client_id IS NOT NULL
                               LIMIT 1) AS dup ON true
            LEFT JOIN LATERAL (SELECT true AS found FROM members AS mm
                               WHERE mm.conversation_id = d.conversation_id AND mm.user_id = d.sender_id
                                 AND mm.left_seq IS NULL LIMIT 1) AS mem ON true
        ),
        a AS MATERIALIZED (
          SELECT v.*, v.last_seq + row_number() OVER (PARTITION BY v.conversation_id ORDER BY v.i) AS seq
          FROM v WHERE v.verdict = 'stored'
        ),
        inserted AS (
          INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, created_at, forwarded)
          SELECT a.conversation_id, a.seq, a.id, a.sender_id, a.client_id, 'text', a.body, a.created_at, a.forwarded FROM a
        ),
        moved AS (
          UPDATE conversations AS c SET last_seq = x.last_seq
          FROM (SELECT a.conversation_id, max(a.seq) AS last_seq FROM a GROUP BY a.conversation_id) AS x
          WHERE c.id = x.conversation_id
        )
        SELECT v.i::integer, v.verdict, a.seq, v.mls_epoch FROM v LEFT JOIN a ON a.i = v.i ORDER BY v.i;
      END $fn$;
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = Math.max(0, ...MIGRATIONS.map((m) => m.version));

/** Plain lower-case identifiers only: the name is spliced into DDL and the `search_path` option, so nothing needs escaping. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*`);
}

/**
 * Brings the schema up to the newest migration, each migration in its own transaction together with its row in
 * `parley_migrations`, so a crash mid-way leaves a database that the next start resumes. Holds a session advisory
 * lock for the whole run: nodes starting at once queue behind the first, then find nothing left to do. `client` must
 * already have the schema on its search_path when `schema` is given; a connection that breaks is ended here. Returns how
 * many migrations ran.
 */
export async function migrate(
  client: Client,
  options: { schema?: string; migrations?: readonly Migration[] } = {},
): Promise<number> {
  const migrations = options.migrations ?? MIGRATIONS;
  const schema = options.schema;
  if (schema !== undefined) assertSchemaName(schema);
  // Keyed by schema, so isolated schemas (tests, tenants) do not wait for each other.
  await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`parley.migrate:${schema ?? ""}`]);
  try {
    // Inside the lock: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide on the catalog's unique index.
    // Looked up first because CREATE SCHEMA checks the CREATE privilege even when the schema exists (made by a DBA).
    if (schema !== undefined) {
      const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      if (rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    }
    await client.query(
      `CREATE TABLE IF NOT EXISTS parley_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number }>("SELECT version FROM parley_migrations");
    const done = new Set(rows.map((r) => r.version));
    const current = Math.max(0, ...done);
    // Features get version numbers as they are planned: numbers can have gaps, and a number below the newest applied
    // one can still be missing (it is applied then), so the applied set decides, in version order.
    const ordered = [...migrations].sort((a, b) => a.version - b.version);
    const latest = ordered.at(-1)?.version ?? 0;
    if (current > latest) {
      // An older build must not write to a schema it does not understand.
      throw new Error(`database schema version ${current} is newer than this build supports (${latest})`);
    }
    let applied = 0;
    for (const migration of ordered) {
      if (done.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO parley_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
        await client.query("COMMIT");
      } catch (error) {
        // A connection that cannot roll back is broken: ended now (which also drops the lock), the migration's error is
        // the one reported.
        await client.query("ROLLBACK").catch(() => client.end());
        throw error;
      }
      applied++;
    }
    return applied;
  } finally {
    // The lock lives as long as the session: should the unlock fail, ending the session releases it.
    await client
      .query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [`parley.migrate:${schema ?? ""}`])
      .catch(() => client.end());
  }
}
