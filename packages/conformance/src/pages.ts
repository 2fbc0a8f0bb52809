// A tiny web server the link preview cases run beside the suite: pages with OpenGraph tags for `links.preview`. It
// listens on loopback, so a server that (rightly) refuses private addresses answers `link_preview_unavailable`
// (`blocked`), and the success case is skipped there.

import { createServer, type Server } from "node:http";

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://x").pathname === "/page") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(
        '<!doctype html><html><head><title>Plain title</title><meta property="og:title" content="Conformance &amp; page">' +
          '<meta property="og:description" content="A page for links.preview"><meta property="og:site_name" content="Parley">' +
          "</head><body>hello</body></html>",
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
