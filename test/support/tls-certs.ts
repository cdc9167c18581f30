/**
 * Self-signed certificates for the TLS suites, made by each test run with
 * `openssl` in a temporary folder (no key material is kept in the tree):
 * one for `localhost` and 127.0.0.1, one for a second name that SNI picks.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A key and its self-signed certificate (PEM), and the file of the certificate (for curl's --cacert). */
export interface TestCert {
  key: string;
  cert: string;
  certFile: string;
}

export interface TestCerts {
  /** CN=localhost, SAN DNS:localhost, IP:127.0.0.1. */
  main: TestCert;
  /** CN and SAN DNS:other.test: the certificate SNI must pick for that name. */
  other: TestCert;
  /** Remove the folder. */
  remove(): void;
}

function make(dir: string, name: string, cn: string, san: string): TestCert {
  const keyFile = join(dir, `${name}-key.pem`);
  const certFile = join(dir, `${name}-cert.pem`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${cn}`, "-addext", `subjectAltName=${san}`, "-keyout", keyFile, "-out", certFile],
    { stdio: "ignore", timeout: 20_000 },
  );
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

/** Make both certificates in a new temporary folder. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "tasklet-tls-"));
  return {
    main: make(dir, "main", "localhost", "DNS:localhost,IP:127.0.0.1"),
    other: make(dir, "other", "other.test", "DNS:other.test"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
