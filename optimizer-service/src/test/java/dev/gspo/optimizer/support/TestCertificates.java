package dev.gspo.optimizer.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away private CA and one server certificate signed by it, made with the JDK's own {@code keytool} (no
 * openssl, no extra library), written as the PEM files the docs/TLS.md recipe produces: {@code ca.crt},
 * {@code server.crt}, {@code server.key} (PKCS#8).
 *
 * @param dir where the files are
 */
public record TestCertificates(Path dir) {
    private static final String PASSWORD = "throwaway";

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /**
     * @param subjectAlternativeNames keytool's SAN syntax, e.g. {@code ip:127.0.0.1,dns:localhost}: the names
     *                                clients may use to reach the server
     */
    public static TestCertificates create(Path dir, String subjectAlternativeNames) throws IOException {
        Files.createDirectories(dir);
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "ca",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=gspo test CA",
                "-ext",
                "bc:c",
                "-validity",
                "2",
                "-keystore",
                "ca.p12",
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD);
        keytool(
                dir,
                "-exportcert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                "ca.p12",
                "-storepass",
                PASSWORD,
                "-file",
                "ca.crt");
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=gspo rollout",
                "-validity",
                "2",
                "-keystore",
                "server.p12",
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD);
        keytool(
                dir,
                "-certreq",
                "-alias",
                "server",
                "-keystore",
                "server.p12",
                "-storepass",
                PASSWORD,
                "-file",
                "server.csr");
        keytool(
                dir,
                "-gencert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                "ca.p12",
                "-storepass",
                PASSWORD,
                "-infile",
                "server.csr",
                "-outfile",
                "server.crt",
                "-validity",
                "2",
                "-ext",
                "san=" + subjectAlternativeNames,
                "-ext",
                "eku=serverAuth",
                "-ext",
                "ku=digitalSignature");
        writePrivateKeyPem(dir.resolve("server.p12"), dir.resolve("server.key"));
        return new TestCertificates(dir);
    }

    private static void writePrivateKeyPem(Path keystore, Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD.toCharArray());
            PrivateKey key = (PrivateKey) ks.getKey("server", PASSWORD.toCharArray());
            String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(key.getEncoded());
            Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the server key back from " + keystore, e);
        }
    }

    private static void keytool(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.add("-noprompt");
        cmd.addAll(List.of(args));
        Path log = dir.resolve("keytool.log");
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool " + String.join(" ", args) + " failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
