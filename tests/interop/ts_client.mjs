// The TypeScript SDK's client (`@modelcontextprotocol/sdk`) against a fastestmcp server over
// streamable HTTP; run by tests/interop/test_ts_sdk_http.py.
//
//   node ts_client.mjs <sdk dir> <server url>
//
// <sdk dir> is where npm installed the SDK (`.tools/ts-sdk/<version>`). The script connects
// with `StreamableHTTPClientTransport` + `Client`, drives the server, and prints one JSON
// summary on stdout that the Python test compares exactly. Exit 0 on success, 1 on an error,
// 3 when the whole run took longer than its bound.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [sdkDir, url] = process.argv.slice(2);
if (!sdkDir || !url) {
  console.error("usage: node ts_client.mjs <sdk dir> <server url>");
  process.exit(2);
}

const BOUND_MS = 30_000;
const bound = setTimeout(() => {
  console.error(`ts_client: gave up after ${BOUND_MS} ms`);
  process.exit(3);
}, BOUND_MS);

// Resolve the SDK from its install directory (this script lives elsewhere).
const require = createRequire(path.join(path.resolve(sdkDir), "package.json"));
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require(
  "@modelcontextprotocol/sdk/client/streamableHttp.js",
);
const {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} = require("@modelcontextprotocol/sdk/types.js");
const sdkVersion = JSON.parse(
  readFileSync(
    path.join(path.resolve(sdkDir), "node_modules", "@modelcontextprotocol", "sdk", "package.json"),
    "utf8",
  ),
).version;

function waitFor(condition, what, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (condition()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

const textOf = (result) => result.content.map((block) => block.text).join("");

async function main() {
  const logs = [];
  const updated = [];
  const progress = [];

  const client = new Client({ name: "ts-interop", version: "1.0.0" }, { capabilities: {} });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(notification.params.data);
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
    updated.push(notification.params.uri);
  });

  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const sessionId = transport.sessionId;

  const server = client.getServerVersion();
  const capabilities = client.getServerCapabilities();
  const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();

  const first = textOf(await client.callTool({ name: "remember", arguments: { value: "x" } }));
  const second = textOf(await client.callTool({ name: "remember", arguments: { value: "y" } }));
  const added = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });

  await client.setLoggingLevel("debug");
  const chatty = await client.callTool({ name: "chatty", arguments: {} }, undefined, {
    onprogress: (p) => progress.push([p.progress, p.total, p.message]),
  });
  await waitFor(() => logs.length >= 2, "two log notifications");

  const resources = (await client.listResources()).resources.map((r) => r.uri);
  const read = await client.readResource({ uri: "memo://notes" });

  await client.subscribeResource({ uri: "memo://notes" });
  const touched = textOf(
    await client.callTool({ name: "touch", arguments: { uri: "memo://notes" } }),
  );
  await waitFor(() => updated.length >= 1, "notifications/resources/updated");

  await client.ping();
  await transport.terminateSession(); // DELETE: the server ends the session
  await client.close();

  return {
    sdkVersion,
    protocolVersion: transport.protocolVersion,
    hasSessionId: typeof sessionId === "string" && sessionId.length > 0,
    sessionId,
    server: { name: server.name, version: server.version },
    capabilities: {
      tools: capabilities.tools !== undefined,
      resourcesSubscribe: capabilities.resources?.subscribe === true,
      logging: capabilities.logging !== undefined,
    },
    tools,
    remember: [first, second],
    add: added.structuredContent,
    chatty: { text: textOf(chatty), progress, logs },
    resources,
    read: read.contents,
    touched,
    updated,
  };
}

try {
  const summary = await main();
  process.stdout.write(JSON.stringify(summary) + "\n");
  clearTimeout(bound);
  process.exit(0);
} catch (error) {
  console.error("ts_client:", error?.stack ?? error);
  process.exit(1);
}
