package dev.gspo.common.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Whether the weights of one model fit another one's place: what a replica serving {@code served} would make of a
 * push of {@code ours}. It refuses weights whose tensor names or shapes differ ({@code PolicyWeights.validateShapes});
 * and weights it would take but compute differently with (another {@code model_type}, {@code rope_theta},
 * {@code rms_norm_eps}, …) would sample from another policy than the trainer's. Each difference is named with both
 * sides, e.g. {@code tensor model.embed_tokens.weight has shape [50, 96] but the other model has [151936, 64]}.
 */
public final class ModelFit {
    private ModelFit() {}

    /**
     * @param servedLabel how to name the other side in a message, e.g. {@code replica http://10.0.0.7:8081 serves}
     * @return every difference, the shapes first (the first differing tensor and how many differ), then the settings;
     *     empty when the weights fit
     */
    public static List<String> differences(ModelConfig ours, ModelConfig served, String servedLabel) {
        List<String> out = new ArrayList<>();
        if (!ours.modelType().equals(served.modelType())) {
            out.add("model_type is " + ours.modelType() + " but " + servedLabel + " " + served.modelType());
        }
        Map<String, long[]> theirs = new LinkedHashMap<>();
        served.architecture().tensors(served).forEach(t -> theirs.put(t.name(), t.shape()));
        String first = null;
        int differing = 0;
        for (TensorSpec t : ours.architecture().tensors(ours)) {
            long[] other = theirs.remove(t.name());
            if (other == null || !Arrays.equals(other, t.shape())) {
                differing++;
                if (first == null) {
                    first = other == null
                            ? "tensor " + t.name() + " " + Arrays.toString(t.shape()) + " is not in the model "
                                    + servedLabel
                            : "tensor " + t.name() + " has shape " + Arrays.toString(t.shape()) + " but " + servedLabel
                                    + " " + Arrays.toString(other);
                }
            }
        }
        if (first == null && !theirs.isEmpty()) {
            String name = theirs.keySet().iterator().next();
            first = "tensor " + name + " " + Arrays.toString(theirs.get(name)) + " of the model " + servedLabel
                    + " is missing from the run's model";
        }
        differing += theirs.size();
        if (first != null) {
            out.add(first + (differing > 1 ? " (" + (differing - 1) + " more tensors differ)" : ""));
        }
        setting(out, "rope_theta", ours.ropeTheta(), served.ropeTheta(), servedLabel);
        setting(out, "rms_norm_eps", ours.rmsNormEps(), served.rmsNormEps(), servedLabel);
        setting(out, "tie_word_embeddings", ours.tieWordEmbeddings(), served.tieWordEmbeddings(), servedLabel);
        setting(out, "num_attention_heads", ours.numAttentionHeads(), served.numAttentionHeads(), servedLabel);
        setting(out, "num_key_value_heads", ours.numKeyValueHeads(), served.numKeyValueHeads(), servedLabel);
        setting(out, "moe", ours.moe(), served.moe(), servedLabel);
        return out;
    }

    private static void setting(List<String> out, String name, Object ours, Object served, String servedLabel) {
        if (!Objects.equals(ours, served)) {
            out.add(name + " is " + ours + " but " + servedLabel + " " + served);
        }
    }
}
