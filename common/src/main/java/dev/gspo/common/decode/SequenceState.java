package dev.gspo.common.decode;

import dev.gspo.common.tokenizer.PolicyTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * The growing state of one sequence being decoded: its own RNG (seeded by the request alone), the tokens and
 * log-probs so far, and whether it has ended: at an EOS id, at the first of its stop strings, or at
 * {@code maxNewTokens}. Shared by the static ({@link BatchGenerator}) and the continuous ({@link RunningBatch}) paths.
 */
final class SequenceState {
    static final String RNG_ALGORITHM = "L64X128MixRandom";

    final SequenceRequest request;
    final RandomGenerator rng;
    private final Set<Integer> eos;
    private final PolicyTokenizer tokenizer;
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Float> logprobs = new ArrayList<>();
    private boolean done;
    private FinishReason reason;
    private String text;

    SequenceState(SequenceRequest request, Set<Integer> eos, PolicyTokenizer tokenizer) {
        this.request = request;
        this.rng = RandomGeneratorFactory.of(RNG_ALGORITHM).create(request.seed());
        this.eos = eos;
        this.tokenizer = tokenizer;
    }

    boolean done() {
        return done;
    }

    int generated() {
        return tokens.size();
    }

    int lastToken() {
        return tokens.getLast();
    }

    void accept(int token, float logprob) {
        tokens.add(token);
        logprobs.add(logprob);
        SamplingParams p = request.params();
        if (eos.contains(token)) {
            finish(FinishReason.EOS, decode(tokens.size() - 1));
            return;
        }
        if (!p.stop().isEmpty()) {
            String sofar = decode(tokens.size());
            int cut = -1;
            for (String s : p.stop()) {
                int at = s.isEmpty() ? -1 : sofar.indexOf(s);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                finish(FinishReason.STOP, sofar.substring(0, cut));
                return;
            }
        }
        if (tokens.size() >= p.maxNewTokens()) {
            finish(FinishReason.LENGTH, decode(tokens.size()));
        }
    }

    private String decode(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = tokens.get(i);
        }
        return tokenizer.decode(ids);
    }

    private void finish(FinishReason r, String t) {
        done = true;
        reason = r;
        text = t;
    }

    Completion completion() {
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        float[] lp = new float[logprobs.size()];
        for (int i = 0; i < lp.length; i++) {
            lp[i] = logprobs.get(i);
        }
        return new Completion(ids, text, lp, reason);
    }
}
