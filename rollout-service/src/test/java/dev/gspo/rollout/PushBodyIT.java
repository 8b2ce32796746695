package dev.gspo.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.support.RolloutIT;
import dev.gspo.rollout.support.TestClient;
import dev.gspo.rollout.support.WeightSets;
import dev.gspo.rollout.weights.PolicyRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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

    /**
     * Valid weights whose last 1000 bytes are zeros, declared (length and checksum) whole but sent without those
     * zeros: a receiver that took an early end of the body for its end, and left the rest of its array as allocated,
     * would install exactly the declared bytes.
     */
    @Test
    void aBodyShorterThanItsContentLengthIsABadRequestAndNotInstalled() throws Exception {
        byte[] whole = WeightSets.randomBytes(registry.current().model().config(), 11);
        Arrays.fill(whole, whole.length - 1000, whole.length, (byte) 0); // zeros are finite F32 values
        long served = registry.current().version();
        String head = "PUT /v1/policy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + TOKEN
                + "\r\nContent-Type: application/octet-stream\r\nX-Policy-Version: " + next()
                + "\r\nX-Content-SHA256: " + PolicyModel.sha256(whole) + "\r\nContent-Length: " + whole.length
                + "\r\nConnection: close\r\n\r\n";
        String answer;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(whole, 0, whole.length - 1000); // then the client's side of the connection ends
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }

        // Tomcat itself reports the early end (an EOFException from the request stream) and answers with its
        // generic problem body, so the status, the problem type and the served version are what is asserted
        assertThat(answer).startsWith("HTTP/1.1 400 ");
        assertThat(answer).containsIgnoringCase("content-type: application/problem+json");
        assertThat(registry.current().version()).isEqualTo(served);
        assertThat(new TestClient(port).push(Long.parseLong(next()), whole).statusCode())
                .as("the same bytes sent whole are installed")
                .isEqualTo(200);
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
