package dev.gspo.common.task;

/**
 * A supervised warm-start pair: the ideal completion of an example's prompt.
 *
 * @param example    the problem
 * @param completion what the policy should generate after the prompt, stop marker included
 *                   (e.g. {@code "46\n"})
 */
public record Demonstration(TaskExample example, String completion) {}
