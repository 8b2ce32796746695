package dev.gspo.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.gspo.common.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory-bound decode limit's arithmetic (the bandwidths themselves are measured by ./gspo bench). */
class MemoryBandwidthTest {

    @Test
    void aDecodeReadsEveryWeightOncePerStepAndEachRowsKeysAndValuesSoFar() {
        // 1 layer, d 4, 1 head of 4, ff 8, vocab 10: layer weights 4·4 (q) + 2·4·4 (k, v) + 4·4 (o) + 3·4·8 (MLP) =
        // 160,
        // LM head 10·4 = 40 → 800 bytes per step; keys + values 2·1·1·4 floats = 32 bytes per position and row.
        ModelConfig c = ModelConfig.llama(10, 4, 8, 1, 1, 1, 16, true, 1, List.of());
        // 2 rows, prompt 3, 2 new tokens: step 0 reads 800 + 2·32·3 = 992, step 1 reads 800 + 2·32·4 = 1056
        assertThat(MemoryBandwidth.decodeBytes(c, 2, 3, 2)).isCloseTo(2048.0, within(1e-9));
        // 4 new tokens in 2048 bytes at 1e-6 GB/s (1000 bytes/s) = 2.048 s: 1.953 tok/s
        assertThat(MemoryBandwidth.decodeLimitTokensPerSecond(c, 2, 3, 2, 1e-6)).isCloseTo(4 / 2.048, within(1e-9));
    }

    @Test
    void theBenchsLlama25mReadsItsNinetyEightMegabytesOfWeightsPerStep() {
        ModelConfig c = BenchModels.llama25m(64);
        // 24 641 536 parameters (6 layers of 3 407 872, plus the tied 8192 × 512 head) × 4 bytes, at batch 1 and a
        // context of 8: plus 6·2·8·64 floats per position = 24 576 bytes · 8
        assertThat(MemoryBandwidth.decodeBytes(c, 1, 8, 1)).isCloseTo(98_566_144.0 + 24_576.0 * 8, within(1e-6));
    }
}
