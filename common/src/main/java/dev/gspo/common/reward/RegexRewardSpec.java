package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"fn": "regex", "pattern": "…"}}: {@code score} when the pattern is found in the response ({@link RegexReward}).
 *
 * @param pattern a Java regular expression, required, at most 1000 characters; {@code {answer}} stands for the answer
 * @param score   the score of a match (default 1, in [−100, 100])
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegexRewardSpec(String name, Double weight, String pattern, Double score) implements LocalRewardSpec {
    public static final String FN = "regex";

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public RegexRewardSpec withDefaults(int maxNewTokens) {
        return new RegexRewardSpec(
                RewardChecks.or(name, FN), RewardChecks.or(weight, 1.0), pattern, RewardChecks.or(score, 1.0));
    }

    @Override
    public List<String> problems(String path) {
        List<String> p = new ArrayList<>();
        RewardChecks.pattern(p, path + ".pattern", pattern);
        if (score != null && (!Double.isFinite(score) || Math.abs(score) > MAX_WEIGHT)) {
            p.add(path + ".score: must be in [-" + MAX_WEIGHT + ", " + MAX_WEIGHT + "], got " + score);
        }
        return p;
    }

    @Override
    public RegexReward create(Task task) {
        RewardChecks.requireValid(this);
        return new RegexReward(pattern, RewardChecks.or(score, 1.0));
    }
}
