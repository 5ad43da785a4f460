// Validate an AsyncAPI document with the official parser (@asyncapi/parser).
// Usage: node validate.mjs FILE. Prints every diagnostic as JSON lines on stdout
// ({"severity": "error"|"warning"|"info"|"hint", "code", "message", "path"}); the exit status is
// 1 when any diagnostic has error severity (the document is invalid), 0 otherwise.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs FILE");
  process.exit(2);
}
const names = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"));
let errors = 0;
for (const diagnostic of diagnostics) {
  const severity = names[diagnostic.severity] ?? String(diagnostic.severity);
  if (severity === "error") errors += 1;
  console.log(
    JSON.stringify({
      severity,
      code: diagnostic.code,
      message: diagnostic.message,
      path: (diagnostic.path ?? []).join("/"),
    }),
  );
}
process.exit(errors > 0 || document === undefined ? 1 : 0);
