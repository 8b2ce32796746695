package dev.gspo.bench;

import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import java.util.List;

/**
 * The models the bench runs, written as HF directories by {@code BuiltinModel.create(config, dir, seed, manager)} so
 * that in-process replicas can serve the same weights.
 *
 * <p>Both have no end-of-sequence id in config.json; the tokenizer's {@code <eos>} still ends a row wherever it is
 * sampled, so the decode cells use {@link dev.gspo.common.decode.BatchGenerator#ignoringEos} to decode exactly the
 * requested length. Both use the
 * built-in character tokenizer; the 25M model's vocab_size is larger than the tokenizer (allowed, as in HF
 * checkpoints): the LM head still computes all 8192 logits, sampling only picks among the tokenizer's ids.
 */
final class BenchModels {
    private BenchModels() {}

    /** The built-in "tiny" model ({@link BuiltinModel#config()}) with room for {@code maxPositions} and no EOS. */
    static ModelConfig tiny(int maxPositions) {
        return BuiltinModel.config().withMaxPositionEmbeddings(maxPositions).withEosTokenIds(List.of());
    }

    /** A llama-shaped ~25M-parameter model: d 512, 6 layers, 8 heads, ff 1536, vocab 8192, tied embeddings. */
    static ModelConfig llama25m(int maxPositions) {
        return ModelConfig.llama(8192, 512, 1536, 6, 8, 8, maxPositions, true, BuiltinVocabulary.BOS_ID, List.of());
    }
}
