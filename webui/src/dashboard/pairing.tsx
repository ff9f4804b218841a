import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, useAction } from "../components/form.js";
import { formatDuration, t } from "../i18n/i18n.js";

interface PairingRequest {
  bridgeId: string;
  code: string;
  senderId: string;
  senderName: string | null;
  createdAt: string;
  expiresAt: string;
}
interface ApprovedSender {
  bridgeId: string;
  senderId: string;
  senderName: string | null;
  approvedAt: string;
}

/** How often the lists refresh, ms: a stranger's code should show up while the owner looks. */
const REFRESH_MS = 3000;

const who = (s: { senderId: string; senderName: string | null }) =>
  s.senderName && s.senderName !== s.senderId ? `${s.senderName} (${s.senderId})` : s.senderId;
const ago = (iso: string, now: number) =>
  t("pairing.ago", { duration: formatDuration((now - Date.parse(iso)) / 1000) });

/** Dashboard "Pairing": pending codes (bridge, sender, code, age) with Approve/Deny, approved senders with Revoke. */
export function Pairing() {
  const [pending, setPending] = useState<PairingRequest[]>([]);
  const [approved, setApproved] = useState<ApprovedSender[]>([]);
  const [now, setNow] = useState(Date.now());
  const [message, setMessage] = useState("");
  const { busy, error, run } = useAction();
  const load = async () => {
    const r = await api<{ pending: PairingRequest[]; approved: ApprovedSender[] }>(
      "GET",
      "/api/dashboard/pairing",
    );
    setPending(r.pending);
    setApproved(r.approved);
    setNow(Date.now());
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load().catch(() => {}), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const act = (fn: () => Promise<unknown>, done: string) =>
    void run(async () => {
      await fn();
      setMessage(done);
      await load();
    });
  const path = (...parts: string[]) => `/api/dashboard/pairing/${parts.map(encodeURIComponent).join("/")}`;
  return (
    <div>
      <p>{t("pairing.intro")}</p>
      {message && (
        <p role="status" class="ok">
          {message}
        </p>
      )}
      <ErrorLine error={error} />
      <h2>{t("pairing.pending")}</h2>
      {pending.length === 0 ? (
        <p class="help">{t("pairing.none")}</p>
      ) : (
        <div class="table-wrap">
          <table class="pairing">
            <thead>
              <tr>
                <th scope="col">{t("pairing.bridge")}</th>
                <th scope="col">{t("pairing.sender")}</th>
                <th scope="col">{t("pairing.code")}</th>
                <th scope="col">{t("pairing.age")}</th>
                <th scope="col">{t("pairing.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {pending.map((p) => (
                <tr key={`${p.bridgeId}/${p.code}`} data-code={p.code}>
                  <td class="mono">{p.bridgeId}</td>
                  <td>{who(p)}</td>
                  <td class="mono code">{p.code}</td>
                  <td>{ago(p.createdAt, now)}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      class="primary"
                      disabled={busy}
                      aria-label={`${t("pairing.approve")} ${p.code}`}
                      onClick={() =>
                        act(
                          () => api("POST", path(p.bridgeId, p.code, "approve")),
                          t("pairing.approvedMsg", { sender: who(p), bridge: p.bridgeId }),
                        )
                      }
                    >
                      {t("pairing.approve")}
                    </button>
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`${t("pairing.deny")} ${p.code}`}
                      onClick={() =>
                        act(
                          () => api("POST", path(p.bridgeId, p.code, "deny")),
                          t("pairing.deniedMsg", { sender: who(p) }),
                        )
                      }
                    >
                      {t("pairing.deny")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("pairing.approvedList")}</h2>
      {approved.length === 0 ? (
        <p class="help">{t("pairing.noneApproved")}</p>
      ) : (
        <div class="table-wrap">
          <table class="pairing">
            <thead>
              <tr>
                <th scope="col">{t("pairing.bridge")}</th>
                <th scope="col">{t("pairing.sender")}</th>
                <th scope="col">{t("pairing.approvedAt")}</th>
                <th scope="col">{t("pairing.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {approved.map((a) => (
                <tr key={`${a.bridgeId}/${a.senderId}`}>
                  <td class="mono">{a.bridgeId}</td>
                  <td>{who(a)}</td>
                  <td>{ago(a.approvedAt, now)}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`${t("pairing.revoke")} ${a.senderId}`}
                      onClick={() =>
                        act(
                          () => api("DELETE", path(a.bridgeId, "approved", a.senderId)),
                          t("pairing.revokedMsg", { sender: who(a), bridge: a.bridgeId }),
                        )
                      }
                    >
                      {t("pairing.revoke")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
