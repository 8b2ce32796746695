package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.PolicyModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A version is serialised and hashed once, and the sink is told how long each of the two took. */
class SerialisedTest {

    @Test
    void hashesTheSerialisedBytesAndReportsBothStagesToTheSink() {
        Map<String, Long> recorded = new LinkedHashMap<>();
        PolicySink sink = new PolicySink() {
            @Override
            public PublishResult publish(long version, byte[] safetensors, String sha256) {
                throw new AssertionError("not published here");
            }

            @Override
            public long highestReplicaVersion() {
                return 0;
            }

            @Override
            public void recordStage(String stage, long nanos) {
                recorded.merge(stage, nanos, Long::sum);
            }
        };
        byte[] bytes = new byte[1 << 20];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 11));
        }

        Serialised s = Serialised.of(sink, () -> {
            sleepMillis(200); // a serialiser that takes measurably long
            return bytes;
        });

        assertThat(s.bytes()).isSameAs(bytes);
        assertThat(s.sha256()).isEqualTo(PolicyModel.sha256(bytes));
        assertThat(recorded).containsOnlyKeys(PolicySink.STAGE_SERIALISE, PolicySink.STAGE_SHA256);
        // the serialiser's 200 ms land under "serialise" (stage names swapped: this fails); no upper bound on either
        // stage, so a stalled machine cannot fail it
        assertThat(recorded.get(PolicySink.STAGE_SERIALISE)).isGreaterThanOrEqualTo(200_000_000L);
        assertThat(recorded.get(PolicySink.STAGE_SHA256)).isPositive();
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
