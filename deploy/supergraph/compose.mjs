// Compose the Federation-2 supergraph with @theguild/federation-composition.
// Input on stdin: [{"name", "url", "sdl"}] (see `python -m portal_gateway.subgraph_sdl`).
// Output on stdout: the supergraph SDL. Composition errors go to stderr with exit status 1.
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const subgraphs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const result = composeServices(
  subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) {
    console.error(`composition error: ${error.message}`);
  }
  process.exit(1);
}
process.stdout.write(result.supergraphSdl.trimEnd() + "\n");
