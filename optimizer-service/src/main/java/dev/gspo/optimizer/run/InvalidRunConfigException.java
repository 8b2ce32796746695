package dev.gspo.optimizer.run;

import java.util.List;

/** A run config that cannot run; {@link #problems()} names each field (HTTP 400/422). */
public class InvalidRunConfigException extends RuntimeException {
    private final List<String> problems;

    public InvalidRunConfigException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
