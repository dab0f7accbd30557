/** The join flow (member → join → admit) against the cluster agent's token semantics, in stub sandboxes. */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { admitScript, JOIN_RETRY } from "../../components/microk8s/scripts/join";
import { changes, Sandbox } from "./sandbox";
import { CHANNEL, controller, now, OTHER_TOKEN, step, TOKEN, TOKENS, worker } from "./script-steps";

describe("the join, against the cluster agent's first-match token semantics", () => {
  /** member → join → admit, as the component chains them (fingerprint from member's stdout). */
  function joinFlow(ctrl: Sandbox, wrk: Sandbox, token = TOKEN) {
    const member = ctrl.run(step("member-spark-1").create, `${token}\n`);
    expect(member.status, member.stderr).toBe(0);
    const fingerprint = member.stdout.trim();
    const join = wrk.run(step("join-spark-1").create, `${token}\n${fingerprint}\n`);
    return { member, fingerprint, join };
  }

  it("registers, joins with the pinned fingerprint, admits and forgets the token", () => {
    const ctrl = controller();
    const wrk = worker(ctrl);
    const { member, fingerprint, join } = joinFlow(ctrl, wrk);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(join.status, join.stdout + join.stderr).toBe(0);
    expect(changes(join.calls)).toEqual([
      `CHANGE microk8s join 192.168.1.10:25000/${TOKEN}/${fingerprint} --worker`,
    ]);
    expect(ctrl.read(TOKENS)).toMatch(new RegExp(`^${TOKEN}\\|\\d+\\n$`));
    // The controller side never has the token on a command line (ps shows argv).
    expect(member.calls.join("\n")).not.toContain(TOKEN);

    const admit = ctrl.run(step("admit-spark-1").create, `${TOKEN}\n`);
    expect(admit.status, admit.stderr).toBe(0);
    expect(admit.calls.join("\n")).not.toContain(TOKEN);
    expect(ctrl.read(TOKENS)).not.toContain(TOKEN);

    // Seen token, node Ready: it admits nothing any more (a second node cannot use it).
    const thief = new Sandbox({ hostname: "evil", installedChannel: CHANNEL, controller: ctrl });
    const stolen = thief.run(step("join-spark-1").create, `${TOKEN}\n${fingerprint}\n`);
    expect(stolen.status).toBe(1);
    expect(stolen.stderr).toMatch(/refused the join token/);

    // A re-run of the joined worker changes nothing.
    const again = wrk.run(step("join-spark-1").create, `${TOKEN}\n${fingerprint}\n`);
    expect(again.status).toBe(0);
    expect(changes(again.calls)).toEqual([]);
  });

  it("an expired line of the same token shadows add-node's appended one (why we rewrite)", () => {
    const ctrl = controller();
    writeFileSync(ctrl.path(TOKENS), `${TOKEN}|${now() - 60}\n`);
    // What the old registration did: add-node appends a fresh line below the expired one.
    expect(ctrl.run(`sudo -n microk8s add-node --token ${TOKEN} --token-ttl 900\n`).status).toBe(0);
    const fp = ctrl.run(step("member-spark-1").create, `${OTHER_TOKEN}\n`).stdout.trim();
    const refused = worker(ctrl).run(step("join-spark-1").create, `${TOKEN}\n${fp}\n`);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refused the join token/);
    // Exit 6 is final: no retries against a verdict that cannot change.
    expect(changes(refused.calls)).toHaveLength(1);
  });

  it("a join after an expired registration of the same token works", () => {
    const ctrl = controller();
    const other = `${OTHER_TOKEN}|${now() + 600}`;
    writeFileSync(
      ctrl.path(TOKENS),
      `${TOKEN}|${now() - 3600}\n${other}\n  ${TOKEN}|${now() - 60}  \n${TOKEN}\n`,
    );
    const { join } = joinFlow(ctrl, worker(ctrl));
    expect(join.status, join.stdout + join.stderr).toBe(0);
    const lines = ctrl.read(TOKENS).trim().split("\n");
    // Every stale line of this token is gone; other workers' lines are kept as they were.
    expect(lines).toEqual([other, expect.stringMatching(new RegExp(`^${TOKEN}\\|\\d+$`))]);
  });

  it("two registrations for different workers keep each other's lines", () => {
    const ctrl = controller();
    ctrl.run(step("member-spark-1").create, `${TOKEN}\n`);
    ctrl.run(step("member-cpu-1").create, `${OTHER_TOKEN}\n`);
    const lines = ctrl.read(TOKENS);
    expect(lines).toContain(`${TOKEN}|`);
    expect(lines).toContain(`${OTHER_TOKEN}|`);
  });

  it("a token line without expiry is valid once (the agent consumes it)", () => {
    const ctrl = controller();
    writeFileSync(ctrl.path(TOKENS), `${TOKEN}\n`);
    const fp = ctrl.run(step("member-cpu-1").create, `${OTHER_TOKEN}\n`).stdout.trim();
    const first = worker(ctrl).run(step("join-spark-1").create, `${TOKEN}\n${fp}\n`);
    expect(first.status, first.stderr).toBe(0);
    expect(ctrl.read(TOKENS)).not.toMatch(new RegExp(`^${TOKEN}$`, "m"));
    const second = worker(ctrl, "spark-2").run(step("join-spark-1").create, `${TOKEN}\n${fp}\n`);
    expect(second.status).toBe(1);
  });

  it("an agent with another certificate is not joined (fingerprint pinned)", () => {
    const ctrl = controller();
    const wrk = worker(ctrl);
    const member = ctrl.run(step("member-spark-1").create, `${TOKEN}\n`);
    const wrong = "0".repeat(64);
    const join = wrk.run(step("join-spark-1").create, `${TOKEN}\n${wrong}\n`);
    expect(member.stdout.trim()).not.toBe(wrong);
    expect(join.status).toBe(1);
    expect(join.stderr).toMatch(/not the controller this run registered/);
    expect(changes(join.calls)).toHaveLength(1);
  });

  it("an unreachable controller is retried a bounded number of times", () => {
    const wrk = new Sandbox({ installedChannel: CHANNEL });
    const result = wrk.run(step("join-spark-1").create, `${TOKEN}\n${"a".repeat(64)}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/port 25000 reachable/);
    expect(changes(result.calls)).toHaveLength(JOIN_RETRY.attempts);
  });

  it("join refuses stdin without a fingerprint; registration without a token", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const join = box.run(step("join-spark-1").create, `${TOKEN}\n`);
    expect(join.status).toBe(1);
    expect(join.stderr).toMatch(/no controller certificate fingerprint/);
    const member = box.run(step("member-spark-1").create, "");
    expect(member.status).toBe(1);
    expect(member.stderr).toMatch(/no join token on stdin/);
    expect(changes([...join.calls, ...member.calls])).toEqual([]);
  });

  it("admission gives up after its timeout, naming the node, and keeps the token", () => {
    const ctrl = controller();
    ctrl.run(step("member-spark-1").create, `${TOKEN}\n`);
    const result = ctrl.run(admitScript({ nodeName: "spark-9", timeoutSeconds: 1 }), `${TOKEN}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/node spark-9 is not Ready after 1s/);
    expect(ctrl.read(TOKENS)).toContain(TOKEN);
  });
});
