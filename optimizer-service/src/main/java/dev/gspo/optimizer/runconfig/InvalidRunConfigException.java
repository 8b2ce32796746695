package dev.gspo.optimizer.runconfig;

import java.util.List;

/**
 * A run config that cannot run; {@link #problems()} names each field. {@link #malformed()}: the JSON does not describe
 * a config at all (unknown field, wrong type, given twice: HTTP 400); otherwise a value is out of its range or does not
 * fit (HTTP 422).
 */
public class InvalidRunConfigException extends RuntimeException {
    private final List<String> problems;
    private final boolean malformed;

    public InvalidRunConfigException(List<String> problems) {
        this(problems, false);
    }

    private InvalidRunConfigException(List<String> problems, boolean malformed) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
        this.malformed = malformed;
    }

    /** The JSON does not describe a run config: an unknown field, a value of the wrong type, a field given twice. */
    public static InvalidRunConfigException malformed(List<String> problems) {
        return new InvalidRunConfigException(problems, true);
    }

    public boolean malformed() {
        return malformed;
    }

    public List<String> problems() {
        return problems;
    }
}
