package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * How a full push's body is received, over real HTTP: read into an array of its declared length (the first MB in an
 * array of its own, then the rest straight into the full array) while another thread hashes the filled ranges. Bodies
 * of a few MB, so the body crosses the 1 MB reservation point and is hashed in several ranges. They are not
 * safetensors: a body whose checksum matches gets past the checksum and is refused for its framing, which tells the
 * two apart.
 */
@RolloutIT
@DirtiesContext
class PushBodyIT {
    private static final String TOKEN = "Bearer " + RolloutIT.PUSH_TOKEN;
    /** Over 1 MB (where the declared length is reserved) and not a multiple of the 1 MB hand-off. */
    private static final int LENGTH = 3 * (1 << 20) + 12_345;

    @LocalServerPort
    int port;

    @Autowired
    PolicyRegistry registry;

    @Test
    void aBodyThatArrivesWholeIsHashedToItsChecksum() {
        byte[] body = randomBody();
        HttpResponse<String> r = new TestClient(port).push(body, next(), PolicyModel.sha256(body), TOKEN);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(TestClient.tree(r.body()).path("detail").asText())
                .as("past the checksum: refused for its framing")
                .doesNotContain("does not match")
                .containsIgnoringCase("safetensors");
    }

    /** The first byte, the last of the first MB, the first of the second, and the very last (the final range). */
    @ParameterizedTest
    @ValueSource(ints = {0, (1 << 20) - 1, 1 << 20, LENGTH - 1})
    void oneChangedByteAnywhereIsAWrongChecksum(int at) {
        byte[] body = randomBody();
        String sha256 = PolicyModel.sha256(body);
        body[at] ^= 0x01;
        long served = registry.current().version();

        HttpResponse<String> r = new TestClient(port).push(body, next(), sha256, TOKEN);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(TestClient.tree(r.body()).path("detail").asText()).contains("does not match");
        assertThat(registry.current().version()).isEqualTo(served);
    }

    @Test
    void aBodyShorterThanItsContentLengthIsABadRequest() throws Exception {
        byte[] body = randomBody();
        long served = registry.current().version();
        String head = "PUT /v1/policy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + TOKEN
                + "\r\nContent-Type: application/octet-stream\r\nX-Policy-Version: " + next()
                + "\r\nX-Content-SHA256: " + PolicyModel.sha256(body) + "\r\nContent-Length: " + LENGTH
                + "\r\nConnection: close\r\n\r\n";
        String answer;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, LENGTH - 1000); // 1000 bytes short, then the client's side of the connection ends
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }

        // Tomcat itself reports the early end of the body (an EOFException from the request stream): the problem
        // body is its generic one, so only the status, the problem type and what was not done are asserted
        assertThat(answer).startsWith("HTTP/1.1 400 ");
        assertThat(answer).containsIgnoringCase("content-type: application/problem+json");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n"))).doesNotContain("does not match");
        assertThat(registry.current().version()).isEqualTo(served);
    }

    private static byte[] randomBody() {
        byte[] body = new byte[LENGTH];
        new Random(7).nextBytes(body);
        body[0] = 0x7f; // a header length no body this size can hold: not safetensors
        return body;
    }

    private String next() {
        return Long.toString(registry.current().version() + 1);
    }
}
