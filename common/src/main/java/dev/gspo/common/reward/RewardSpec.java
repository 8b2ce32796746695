package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One weighted reward function of a run config, typed per function:
 * {@code "rewards": [{"fn": "math", "weight": 1.0}, {"fn": "format", "weight": 0.2}]}. The reward of a response is
 * the weighted sum ({@link RewardMix}); each function's mean is reported under its {@link #name()}.
 *
 * <p>Every function takes {@code name} (default: its {@code fn}; letters, digits, {@code _} and {@code -}, unique in
 * the run: the metric {@code gspo.train.reward{fn=name}} and the report use it) and {@code weight} (default 1, in
 * [−{@value #MAX_WEIGHT}, {@value #MAX_WEIGHT}]; 0 reports the function without training on it; at least one weight
 * must be non-zero). As with {@link dev.gspo.common.task.TaskSpec}, {@link #problems} checks every bound without
 * building anything, and {@link LocalRewardSpec#create} builds a built-in function; {@code http} is built by the
 * optimizer-service, which owns the HTTP client.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "fn")
@JsonSubTypes({
    @JsonSubTypes.Type(value = TaskRewardSpec.class, name = TaskRewardSpec.FN),
    @JsonSubTypes.Type(value = ExactRewardSpec.class, name = ExactRewardSpec.FN),
    @JsonSubTypes.Type(value = MathRewardSpec.class, name = MathRewardSpec.FN),
    @JsonSubTypes.Type(value = RegexRewardSpec.class, name = RegexRewardSpec.FN),
    @JsonSubTypes.Type(value = ChoiceRewardSpec.class, name = ChoiceRewardSpec.FN),
    @JsonSubTypes.Type(value = FormatRewardSpec.class, name = FormatRewardSpec.FN),
    @JsonSubTypes.Type(value = LengthRewardSpec.class, name = LengthRewardSpec.FN),
    @JsonSubTypes.Type(value = HttpRewardSpec.class, name = HttpRewardSpec.FN)
})
public sealed interface RewardSpec permits LocalRewardSpec, HttpRewardSpec {

    /** The registered functions, as {@code "fn"} names them. */
    List<String> FNS = List.of(
            TaskRewardSpec.FN,
            ExactRewardSpec.FN,
            MathRewardSpec.FN,
            RegexRewardSpec.FN,
            ChoiceRewardSpec.FN,
            FormatRewardSpec.FN,
            LengthRewardSpec.FN,
            HttpRewardSpec.FN);

    /** The most functions one run may combine. */
    int MAX_FUNCTIONS = 16;
    /** The largest |weight|. */
    double MAX_WEIGHT = 100;
    /** What a name may be: it becomes a metric label value and a report column. */
    Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** The function, as in {@code "fn"}. */
    @JsonIgnore
    String fn();

    /** The function's name in metrics and reports; null before {@link #withDefaults}. */
    String name();

    /** w_k; null before {@link #withDefaults}. */
    Double weight();

    /**
     * The same spec with every missing parameter set to its default.
     *
     * @param maxNewTokens the run's {@code sampling.maxNewTokens} ({@code length}'s default L_max)
     */
    RewardSpec withDefaults(int maxNewTokens);

    /**
     * Problems of the function's own parameters, each "{@code path}.field: what is wrong"; empty when valid (always,
     * for a function without parameters to check).
     */
    default List<String> problems(String path) {
        return List.of();
    }

    /** What a run without a {@code rewards} section uses: the task's own reward, weight 1. */
    static List<RewardSpec> defaults() {
        return List.of(new TaskRewardSpec(null, null).withDefaults(0));
    }

    /**
     * Problems of a run's reward list with defaults applied, each naming its field as {@code rewards[i].field}: the
     * list's length, every name and weight, every function's own parameters.
     */
    static List<String> problems(List<RewardSpec> specs) {
        List<String> p = new ArrayList<>();
        if (specs.isEmpty()) {
            p.add("rewards: give at least one function, or leave \"rewards\" out for the task's own reward");
            return p;
        }
        if (specs.size() > MAX_FUNCTIONS) {
            p.add("rewards: at most " + MAX_FUNCTIONS + " functions, got " + specs.size());
        }
        Map<String, Integer> names = new HashMap<>();
        boolean anyWeight = false;
        for (int i = 0; i < specs.size(); i++) {
            String path = "rewards[" + i + "]";
            RewardSpec s = specs.get(i);
            if (s == null) {
                p.add(path + ": must be an object with \"fn\", one of " + String.join(", ", FNS));
                continue;
            }
            if (!NAME.matcher(s.name()).matches()) {
                p.add(path + ".name: must be 1 to 64 letters, digits, '_' or '-', got '" + s.name() + "'");
            } else {
                Integer first = names.putIfAbsent(s.name(), i);
                if (first != null) {
                    p.add(path + ".name: '" + s.name() + "' is already the name of rewards[" + first
                            + "]; give each function its own \"name\"");
                }
            }
            double w = s.weight();
            if (!Double.isFinite(w) || Math.abs(w) > MAX_WEIGHT) {
                p.add(path + ".weight: must be in [-" + MAX_WEIGHT + ", " + MAX_WEIGHT + "], got " + w);
            }
            anyWeight |= w != 0;
            p.addAll(s.problems(path));
        }
        if (!anyWeight && specs.stream().allMatch(s -> s != null)) {
            p.add("rewards: every weight is 0; at least one function must count towards the reward");
        }
        return p;
    }
}
