// Trust in an encrypted chat (docs/e2ee.md "Trust"): the safety number with a contact (to compare out of band), their
// devices marked verified or not, "Mark as verified"; and the notice in the chat when a contact's devices changed.

import { useEffect, useState } from "react";
import { reportBestEffort } from "../app/best-effort.js";
import { formatFullTimestamp } from "../format/time.js";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import type { ContactTrust } from "../state/encryption.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { FormError } from "../ui/FormError.js";

export function SafetyNumber({ userId }: { userId: string }) {
  const store = useStore();
  const t = useT();
  const name = useChat((s) => displayName(s.users[userId], t("names.someone")));
  const [trust, setTrust] = useState<ContactTrust | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` reloads after "Mark as verified".
  useEffect(() => {
    let live = true;
    store.contactTrust(userId).then(
      (loaded) => live && setTrust(loaded),
      (caught: unknown) => live && setError(errorText(caught)),
    );
    return () => {
      live = false;
    };
  }, [store, userId, round]);

  return (
    <section className="safety-number" aria-labelledby={`safety-${userId}`}>
      <h3 id={`safety-${userId}`}>{t("e2ee.safetyNumber")}</h3>
      <FormError error={error} />
      {trust ? (
        <>
          <p className="muted">{t("e2ee.safetyNumberHint", { name })}</p>
          <p className="safety-digits" data-safety-number={trust.safetyNumber.join(" ")}>
            {trust.safetyNumber.map((group, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the groups are positional and never reorder.
              <span key={i}>{group}</span>
            ))}
          </p>
          <p className="trust-state" data-verified={trust.verified ? "" : undefined}>
            {trust.verified ? t("e2ee.verified") : t("e2ee.notVerified")}
          </p>
          {trust.verified ? null : (
            <button
              type="button"
              className="button"
              onClick={() => {
                store.verifyContact(userId, trust.keys);
                setRound((r) => r + 1);
              }}
            >
              {t("e2ee.verify")}
            </button>
          )}
          <h4>{t("e2ee.devices", { name })}</h4>
          <ul className="device-list">
            {trust.devices.map((d) => (
              <li key={d.deviceId} data-verified={d.verified ? "" : undefined}>
                <span>{t("e2ee.device", { time: formatFullTimestamp(d.registeredAt) })}</span>{" "}
                <span className={d.verified ? "trust-badge verified" : "trust-badge"}>
                  {d.verified ? t("e2ee.verified") : t("e2ee.notVerified")}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : error ? null : (
        <p className="muted">{t("common.loading")}</p>
      )}
    </section>
  );
}

/** Above an encrypted chat's messages: which members' devices changed since this browser last accepted them. */
export function DevicesChangedNotice({ conversation }: { conversation: ConversationState }) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const ready = useChat((s) => s.encryption === "ready");
  const [changed, setChanged] = useState<{ userId: string; keys: string[] }[]>([]);
  const others = conversation.members.map((m) => m.userId).filter((id) => id !== me);
  const key = others.join(",");

  useEffect(() => {
    if (!conversation.encrypted || !ready) return;
    let live = true;
    Promise.all(
      key
        .split(",")
        .filter(Boolean)
        .map(async (userId) => ({ userId, ...(await store.devicesChanged(userId)) })),
    ).then(
      (all) => live && setChanged(all.filter((c) => c.changed)),
      (error: unknown) => reportBestEffort("checking the members' devices", error),
    );
    return () => {
      live = false;
    };
  }, [store, key, conversation.encrypted, ready]);

  if (changed.length === 0) return null;
  return (
    <div className="devices-changed" role="status">
      {changed.map((c) => (
        <p key={c.userId}>
          {t("e2ee.devicesChanged", { name: displayName(users[c.userId], t("names.someone")) })}{" "}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              store.acknowledgeDevices(c.userId, c.keys);
              setChanged((all) => all.filter((x) => x.userId !== c.userId));
            }}
          >
            {t("e2ee.devicesChangedOk")}
          </button>
        </p>
      ))}
    </div>
  );
}

/** An encrypted group's info: the safety number with each other member, computed when its row is opened. */
export function MemberSafetyNumbers({ conversation }: { conversation: ConversationState }) {
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const others = conversation.members.map((m) => m.userId).filter((id) => id !== me);
  return (
    <section className="member-safety-numbers">
      <h3 className="section-title">{t("e2ee.safetyNumbers")}</h3>
      {others.map((userId) => (
        <details
          key={userId}
          onToggle={(event) => {
            const shown = event.currentTarget.open;
            setOpen((all) => {
              const next = new Set(all);
              if (shown) next.add(userId);
              else next.delete(userId);
              return next;
            });
          }}
        >
          <summary>{t("e2ee.safetyNumberWith", { name: displayName(users[userId], t("names.someone")) })}</summary>
          {open.has(userId) ? <SafetyNumber userId={userId} /> : null}
        </details>
      ))}
    </section>
  );
}
