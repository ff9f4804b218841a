import { expect } from "vitest";
import type { BridgeConfig } from "../../../agent/src/bridges/config-schema.js";
import {
  type ConnectionTestResult,
  testBridgeConnection,
} from "../../../agent/src/bridges/test-connection.js";
import type { BridgeLogger } from "../../../agent/src/bridges/types.js";

/**
 * The dashboard's "test connection" on one bridge entry three ways: with `wrongSecret` merged in it must fail
 * as "auth" without echoing the secret; with `deadHost` merged in (a closed port) as "unreachable"; as given
 * it is returned for the caller's own checks (ok, bot id).
 */
export async function expectAuthThenUnreachable(
  id: string,
  good: BridgeConfig,
  wrongSecret: Partial<BridgeConfig>,
  deadHost: Partial<BridgeConfig>,
  log: BridgeLogger,
): Promise<ConnectionTestResult> {
  const bad = await testBridgeConnection(id, { ...good, ...wrongSecret } as BridgeConfig, log);
  expect(bad).toMatchObject({ ok: false, kind: "auth" });
  for (const secret of Object.values(wrongSecret)) expect(bad.reason).not.toContain(String(secret));
  const dead = await testBridgeConnection(id, { ...good, ...deadHost } as BridgeConfig, log);
  expect(dead).toMatchObject({ ok: false, kind: "unreachable" });
  return testBridgeConnection(id, good, log);
}
