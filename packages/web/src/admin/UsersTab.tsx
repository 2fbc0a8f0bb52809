// Administration: the server's users (searched, a page at a time), accounts created, deactivation and reset links.

import { type AdminUser, isParleyError } from "@parley/client";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { authLinkUrl } from "../auth/auth-link.js";
import { useT } from "../i18n/I18nProvider.js";
import { t } from "../i18n/i18n.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { LinkBox } from "./LinkBox.js";

const PAGE = 20;
function explainCreate(error: unknown): string | undefined {
  if (isParleyError(error, "username_taken")) return t("users.taken");
  if (isParleyError(error, "weak_password")) return t("users.weakPassword");
  if (isParleyError(error, "validation_failed") && error.details?.["field"] === "username") return t("auth.usernameRules");
  return undefined;
}

export function UsersTab() {
  const store = useStore();
  const t = useT();
  const meId = useChat((s) => s.me?.id);
  const [query, setQuery] = useState("");
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [link, setLink] = useState<{ username: string; token: string } | null>(null);
  const list = useAction();
  const row = useAction();
  const { run } = list;

  const load = useCallback(
    (after: string | null) =>
      run(async () => {
        const q = query.trim();
        const page = await store.client.admin.users({
          limit: PAGE,
          ...(q ? { query: q } : {}),
          ...(after ? { after } : {}),
        });
        setUsers((shown) => (after ? [...shown, ...page.items] : page.items));
        setNext(page.next);
      }),
    [run, store, query],
  );

  useEffect(() => {
    const timer = setTimeout(() => void load(null), 250);
    return () => clearTimeout(timer);
  }, [load]);

  const replace = (user: AdminUser) => setUsers((shown) => shown.map((u) => (u.id === user.id ? user : u)));
  const toggle = (user: AdminUser) =>
    void row.run(async () =>
      replace(await (user.deactivated ? store.client.admin.reactivate(user.id) : store.client.admin.deactivate(user.id))),
    );
  const resetLink = (user: AdminUser) =>
    void row.run(async () => {
      const reset = await store.client.admin.resetLink(user.id);
      setLink({ username: user.username, token: reset.token });
    });

  return (
    <div className="admin-tab">
      <CreateUserForm
        onCreated={(user, token) => {
          setUsers((shown) => [user, ...shown.filter((u) => u.id !== user.id)]);
          setLink(token ? { username: user.username, token } : null);
        }}
      />
      {link ? (
        <LinkBox
          label={t("users.passwordLink", { username: link.username })}
          url={authLinkUrl(window.location.origin, { kind: "reset", token: link.token })}
          hint={t("users.resetHint")}
        />
      ) : null}
      <label className="field">
        <span>{t("users.search")}</span>
        <input
          type="search"
          name="query"
          maxLength={64}
          placeholder={t("users.searchPlaceholder")}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      <FormError error={list.error ?? row.error} />
      <ul className="admin-list" aria-label={t("admin.tabUsers")} aria-busy={list.busy}>
        {users.map((user) => (
          <li key={user.id} className="admin-row" data-deactivated={user.deactivated === true}>
            <div className="admin-row-main">
              <strong>{displayName(user)}</strong>
              <span className="muted">
                @{user.username}
                {user.admin ? ` · ${t("users.administrator")}` : ""}
              </span>
            </div>
            <div className="admin-row-actions">
              <button
                type="button"
                className="button button-small"
                disabled={row.busy || user.deactivated === true}
                onClick={() => resetLink(user)}
                aria-label={t("users.resetLinkFor", { username: user.username })}
              >
                {t("users.resetLink")}
              </button>
              {user.id === meId ? null : (
                <button
                  type="button"
                  className="button button-small"
                  disabled={row.busy}
                  onClick={() => toggle(user)}
                  aria-label={
                    user.deactivated
                      ? t("users.reactivateName", { username: user.username })
                      : t("users.deactivateName", { username: user.username })
                  }
                >
                  {user.deactivated ? t("users.reactivate") : t("users.deactivate")}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {!list.busy && users.length === 0 ? <p className="muted">{t("users.none")}</p> : null}
      {next ? (
        <button type="button" className="button" disabled={list.busy} onClick={() => void load(next)}>
          {t("users.more")}
        </button>
      ) : null}
    </div>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (user: AdminUser, resetToken: string | null) => void }) {
  const store = useStore();
  const t = useT();
  const [username, setUsername] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction(explainCreate);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const { user, reset } = await store.client.admin.createUser({
        username: username.trim().toLowerCase(),
        ...(name.trim() ? { displayName: name.trim() } : {}),
        ...(password ? { password } : {}),
      });
      setUsername("");
      setName("");
      setPassword("");
      onCreated(user, reset?.token ?? null);
    });
  };
  return (
    <details className="admin-create">
      <summary>{t("auth.createAnAccount")}</summary>
      <form onSubmit={submit} className="dialog-form" aria-label={t("auth.createAnAccount")}>
        <label className="field">
          <span>{t("auth.username")}</span>
          <input
            name="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            minLength={3}
            maxLength={32}
            pattern="[A-Za-z0-9_]+"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span>
            {t("auth.displayName")} <small>{t("auth.optional")}</small>
          </span>
          <input name="displayName" maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>
            {t("auth.password")} <small>{t("users.passwordHint")}</small>
          </span>
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <FormError error={action.error} />
        <div className="dialog-actions">
          <button type="submit" className="button button-primary" disabled={action.busy}>
            {t("auth.createAccount")}
          </button>
        </div>
      </form>
    </details>
  );
}
