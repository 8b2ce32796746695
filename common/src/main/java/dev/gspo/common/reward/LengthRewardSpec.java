package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"fn": "length"}}: DAPO's soft over-long penalty ({@link LengthPenalty}), 0 to −1.
 *
 * @param maxTokens   L_max (default: the run's {@code sampling.maxNewTokens}; 1 to {@value #MAX_TOKENS})
 * @param cacheTokens L_cache, the stretch over which the penalty grows (default L_max / 5, at least 1, DAPO's
 *                    ratio 4096 / 20480; 1 to L_max)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LengthRewardSpec(String name, Double weight, Integer maxTokens, Integer cacheTokens)
        implements LocalRewardSpec {
    public static final String FN = "length";
    public static final int MAX_TOKENS = 1_000_000;

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public LengthRewardSpec withDefaults(int maxNewTokens) {
        int lMax = RewardChecks.or(maxTokens, maxNewTokens);
        return new LengthRewardSpec(
                RewardChecks.or(name, FN),
                RewardChecks.or(weight, 1.0),
                lMax,
                RewardChecks.or(cacheTokens, Math.max(1, lMax / 5)));
    }

    @Override
    public List<String> problems(String path) {
        List<String> p = new ArrayList<>();
        RewardChecks.between(p, path + ".maxTokens", maxTokens, 1, MAX_TOKENS);
        RewardChecks.between(p, path + ".cacheTokens", cacheTokens, 1, MAX_TOKENS);
        if (maxTokens != null && maxTokens >= 1 && cacheTokens != null && cacheTokens > maxTokens) {
            p.add(path + ".cacheTokens: " + cacheTokens + " exceeds " + path + ".maxTokens " + maxTokens);
        }
        return p;
    }

    @Override
    public LengthPenalty create(Task task) {
        RewardChecks.requireValid(this);
        if (maxTokens == null || cacheTokens == null) {
            throw new IllegalArgumentException("length: maxTokens and cacheTokens have no defaults yet (withDefaults)");
        }
        return new LengthPenalty(maxTokens, cacheTokens);
    }
}
