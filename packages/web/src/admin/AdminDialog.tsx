// The administration area, for server administrators only (`me.admin`): users, sign-ups, reports, retention and the
// audit log as tabs.

import { type KeyboardEvent, useId, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { Dialog } from "../ui/Dialog.js";
import { AuditTab } from "./AuditTab.js";
import { ReportsTab } from "./ReportsTab.js";
import { RetentionTab } from "./RetentionTab.js";
import { SignupsTab } from "./SignupsTab.js";
import { UsersTab } from "./UsersTab.js";

const TABS = [
  { key: "users", label: "admin.tabUsers", Panel: UsersTab },
  { key: "signups", label: "admin.tabSignups", Panel: SignupsTab },
  { key: "reports", label: "admin.tabReports", Panel: ReportsTab },
  { key: "retention", label: "admin.tabRetention", Panel: RetentionTab },
  { key: "audit", label: "admin.tabAudit", Panel: AuditTab },
] as const;

export function AdminDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const [current, setCurrent] = useState(0);
  const id = useId();
  const tab = TABS[current]!;
  // Arrow keys move between tabs, as in every tab list (WAI-ARIA Authoring Practices).
  const onKeyDown = (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = (current + step + TABS.length) % TABS.length;
    setCurrent(next);
    document.getElementById(`${id}-tab-${next}`)?.focus();
  };
  return (
    <Dialog title={t("sidebar.admin")} onClose={onClose} className="dialog-admin">
      <div role="tablist" aria-label={t("sidebar.admin")} className="admin-tabs" onKeyDown={onKeyDown}>
        {TABS.map((tab, i) => (
          <button
            key={tab.key}
            id={`${id}-tab-${i}`}
            type="button"
            role="tab"
            className="admin-tab-button"
            aria-selected={i === current}
            aria-controls={`${id}-panel`}
            tabIndex={i === current ? 0 : -1}
            onClick={() => setCurrent(i)}
          >
            {t(tab.label)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${current}`} className="admin-panel">
        <tab.Panel key={tab.key} />
      </div>
    </Dialog>
  );
}
