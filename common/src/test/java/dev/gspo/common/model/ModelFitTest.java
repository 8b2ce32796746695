package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelFitTest {
    private static final String FLEET = "replica http://10.0.0.7:8081 serves";

    @Test
    void aModelFitsItself() {
        assertThat(ModelFit.differences(BuiltinModel.config(), BuiltinModel.config(), FLEET))
                .isEmpty();
    }

    @Test
    void theFirstDifferingTensorIsNamedWithBothShapesAndTheRestCounted() {
        ModelConfig fleet = BuiltinModel.config();
        ModelConfig narrow = withHidden(fleet, 64, 16);

        List<String> d = ModelFit.differences(narrow, fleet, FLEET);

        int v = fleet.vocabSize();
        assertThat(d.getFirst())
                .startsWith(
                        "tensor model.embed_tokens.weight has shape [" + v + ", 64] but " + FLEET + " [" + v + ", 96]")
                .contains("more tensors differ");
    }

    @Test
    void anotherVocabularyIsNamedOnTheEmbedding() {
        ModelConfig fleet = BuiltinModel.config();
        ModelConfig bigger = new ModelConfig(
                "llama",
                fleet.vocabSize() + 10,
                96,
                fleet.intermediateSize(),
                fleet.numHiddenLayers(),
                fleet.numAttentionHeads(),
                fleet.numKeyValueHeads(),
                fleet.headDim(),
                fleet.ropeTheta(),
                fleet.rmsNormEps(),
                fleet.maxPositionEmbeddings(),
                fleet.tieWordEmbeddings(),
                false,
                fleet.bosTokenId(),
                fleet.eosTokenIds());

        assertThat(ModelFit.differences(bigger, fleet, FLEET))
                .containsExactly("tensor model.embed_tokens.weight has shape [" + (fleet.vocabSize() + 10)
                        + ", 96] but " + FLEET + " [" + fleet.vocabSize() + ", 96]");
    }

    @Test
    void aDenseModelDoesNotFitAnMoeFleet() {
        List<String> d = ModelFit.differences(BuiltinModel.config(), BuiltinModel.moeConfig(), FLEET);

        assertThat(d).contains("model_type is llama but " + FLEET + " qwen3_moe");
        assertThat(d).anySatisfy(p -> assertThat(p).startsWith("tensor "));
    }

    private static ModelConfig withHidden(ModelConfig c, int hidden, int headDim) {
        return new ModelConfig(
                c.modelType(),
                c.vocabSize(),
                hidden,
                c.intermediateSize(),
                c.numHiddenLayers(),
                c.numAttentionHeads(),
                c.numKeyValueHeads(),
                headDim,
                c.ropeTheta(),
                c.rmsNormEps(),
                c.maxPositionEmbeddings(),
                c.tieWordEmbeddings(),
                false,
                c.bosTokenId(),
                c.eosTokenIds());
    }
}
