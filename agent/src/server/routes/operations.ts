import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from "fastify";
import type { BackupManifest } from "../../backup/backup-archive.js";
import type { BackupService } from "../../backup/backup-service.js";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { Scheduler } from "../../jobs/scheduler.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { sessionGuard } from "./session-guard.js";
import { setupGuard } from "./setup-guard.js";

/** Day-two operations behind the dashboard and the wizard: the job scheduler and backups. */
export interface OperationsServices {
  scheduler: Scheduler;
  backups: BackupService;
  /** Restarts the agent so a staged restore is applied; absent → the answer asks the owner to restart. */
  requestRestart?: () => void;
}

/** Largest backup upload, bytes (a year of chats is a few MB; models are never in a backup). */
const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

/** The passphrase header: URI-encoded so any Unicode passphrase fits in an HTTP header. */
const PASSPHRASE_HEADER = "x-backup-passphrase";

function passphraseOf(request: FastifyRequest): string {
  const raw = request.headers[PASSPHRASE_HEADER];
  let value = "";
  try {
    value = typeof raw === "string" ? decodeURIComponent(raw) : "";
  } catch {
    // malformed escape: treated as missing
  }
  if (!value) {
    throw new UserError("the backup passphrase is missing", {
      code: ErrorCode.BACKUP_NO_PASSPHRASE,
      fix: "type the passphrase the backup was made with",
    });
  }
  return value;
}

/** Accepts raw uploads (`Content-Type: application/octet-stream`) in this plugin's scope. */
function acceptUploads(app: FastifyInstance): void {
  app.addContentTypeParser(
    "application/octet-stream",
    { parseAs: "buffer", bodyLimit: MAX_UPLOAD_BYTES },
    (_request, body, done) => done(null, body),
  );
}

function stage(o: OperationsServices, request: FastifyRequest<{ Body: Buffer }>) {
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
    throw new UserError("no backup file was sent", {
      code: ErrorCode.BACKUP_FORMAT,
      fix: "choose the .cbx file (sent as application/octet-stream)",
    });
  }
  const manifest: BackupManifest = o.backups.stageRestore(request.body, passphraseOf(request));
  request.log.info({ createdAt: manifest.createdAt, from: manifest.hostname }, "backup restore staged");
  const restarting = o.requestRestart !== undefined;
  // answered first, then restarted: the browser gets the result and polls until the agent is back
  if (o.requestRestart) setTimeout(o.requestRestart, 200).unref();
  return {
    restored: {
      createdAt: manifest.createdAt,
      hostname: manifest.hostname,
      agentVersion: manifest.agentVersion,
    },
    restarting,
    ...(restarting
      ? {}
      : { fix: "restart the agent to finish the restore (sudo systemctl restart clawbox-agent)" }),
  };
}

/**
 * Jobs and backups in the dashboard (session + CSRF, sessionGuard):
 * - `GET /api/dashboard/jobs` → `{jobs: JobStatus[]}`; `POST /api/dashboard/jobs/:name/run` → `{run}`;
 * - `GET /api/dashboard/backups` → `{backups, passphraseSet}`; `POST /api/dashboard/backups` makes one;
 *   `POST /api/dashboard/backups/passphrase {passphrase}`; `GET /api/dashboard/backups/:name` downloads;
 * - `POST /api/dashboard/backups/restore` (body: the .cbx file, `X-Backup-Passphrase`: URI-encoded) checks
 *   the whole archive, stages it and restarts the agent to apply it.
 * And in the wizard (setup code, setupGuard): `POST /api/setup/restore`, the same upload, as its first
 * choice on a fresh device. A wrong passphrase or a damaged file answers 400 and changes nothing.
 */
export const operationsRoutes: FastifyPluginAsync<{ setup: SetupServices; ops: OperationsServices }> = async (
  app,
  { setup, ops },
) => {
  app.register(async (dash) => {
    dash.addHook("onRequest", sessionGuard(setup));
    acceptUploads(dash);
    dash.get("/api/dashboard/jobs", async () => ({ jobs: ops.scheduler.list() }));
    dash.post<{ Params: { name: string } }>("/api/dashboard/jobs/:name/run", async (request) => {
      if (!ops.scheduler.list().some((j) => j.name === request.params.name))
        throw new UserError(`there is no job named ${request.params.name}`, {
          status: 404,
          code: ErrorCode.NOT_FOUND,
        });
      return { run: await ops.scheduler.runNow(request.params.name) };
    });
    dash.get("/api/dashboard/backups", async () => ({
      backups: ops.backups.list().map(({ name, bytes, createdAt }) => ({ name, bytes, createdAt })),
      passphraseSet: ops.backups.hasPassphrase(),
    }));
    dash.post<{ Body: { passphrase: string } }>(
      "/api/dashboard/backups/passphrase",
      {
        schema: {
          body: {
            type: "object",
            additionalProperties: false,
            required: ["passphrase"],
            properties: { passphrase: { type: "string", maxLength: 1024 } },
          },
        },
      },
      async (request) => {
        ops.backups.setPassphrase(request.body.passphrase);
        request.log.info("backup passphrase set");
        return { passphraseSet: true };
      },
    );
    dash.post("/api/dashboard/backups", async () => {
      const { name, bytes, createdAt, pruned } = await ops.backups.create();
      return { backup: { name, bytes, createdAt }, pruned };
    });
    dash.get<{ Params: { name: string } }>("/api/dashboard/backups/:name", async (request, reply) => {
      const bytes = ops.backups.read(request.params.name);
      reply.header("content-disposition", `attachment; filename="${request.params.name}"`);
      reply.header("cache-control", "no-store");
      return reply.type("application/octet-stream").send(bytes);
    });
    dash.post<{ Body: Buffer }>("/api/dashboard/backups/restore", async (request) => stage(ops, request));
  });
  app.register(async (wizard) => {
    wizard.addHook("onRequest", setupGuard(setup));
    acceptUploads(wizard);
    wizard.post<{ Body: Buffer }>("/api/setup/restore", async (request) => stage(ops, request));
  });
};
