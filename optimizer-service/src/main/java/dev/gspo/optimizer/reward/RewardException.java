package dev.gspo.optimizer.reward;

/** A reward function could not score a step: the step fails rather than train on rewards nobody computed. */
public class RewardException extends RuntimeException {
    public RewardException(String message) {
        super(message);
    }
}
