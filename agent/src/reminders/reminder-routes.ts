import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { sessionGuard, sessionOf } from "../server/routes/session-guard.js";
import type { SetupServices } from "../setup/setup-services.js";
import type { Reminders } from "./reminders.js";
import { parseSchedule } from "./schedule.js";

/**
 * Reminders in the dashboard (admin session; role-policy.ts):
 * - `GET /api/dashboard/reminders` → `{reminders, timezone}` (active ones, soonest first)
 * - `POST /api/dashboard/reminders {bridgeId, chatId, repeat, when, text}` → 201 `{reminder}`; `when` is
 *   what follows /remind or /every in chat ("18:30", "tomorrow 09:00", "weekday 08:00"); the reminder is
 *   delivered to that chat of that bridge. Bad words → 400 `reminder_when` / `reminder_past` / `reminder_text`.
 * - `DELETE /api/dashboard/reminders/:id` → `{removed: true}`, 404 `not_found`
 */
export const reminderRoutes: FastifyPluginAsync<{ setup: SetupServices; reminders: Reminders }> = async (
  app,
  { setup, reminders: r },
) => {
  app.addHook("onRequest", sessionGuard(setup));
  app.get("/api/dashboard/reminders", async () => ({ reminders: r.store.list(), timezone: r.timezone() }));
  app.post<{ Body: { bridgeId: string; chatId: string; repeat: boolean; when: string; text: string } }>(
    "/api/dashboard/reminders",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["bridgeId", "chatId", "repeat", "when", "text"],
          properties: {
            bridgeId: { type: "string", minLength: 1, maxLength: 64 },
            chatId: { type: "string", minLength: 1, maxLength: 512 },
            repeat: { type: "boolean" },
            when: { type: "string", minLength: 1, maxLength: 64 },
            text: { type: "string", maxLength: 1000 },
          },
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const timezone = r.timezone();
      const { schedule, text } = parseSchedule(`${b.when} ${b.text}`, {
        repeat: b.repeat,
        now: new Date(),
        timezone,
      });
      const reminder = r.store.add({
        bridgeId: b.bridgeId,
        chatId: b.chatId,
        createdBy: `dashboard:${sessionOf(request)?.username ?? "?"}`,
        text,
        schedule,
        timezone,
      });
      r.scheduler.poke();
      return reply.code(201).send({ reminder });
    },
  );
  app.delete<{ Params: { id: string } }>("/api/dashboard/reminders/:id", async (request) => {
    if (!r.store.cancel(Number(request.params.id))) {
      throw new UserError(`there is no active reminder #${request.params.id}`, {
        code: ErrorCode.NOT_FOUND,
        status: 404,
        fix: "reload the list",
      });
    }
    r.scheduler.poke();
    return { removed: true };
  });
};
