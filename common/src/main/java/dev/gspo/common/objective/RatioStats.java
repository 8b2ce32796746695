package dev.gspo.common.objective;

/** Mean, minimum and maximum of the importance ratios the loss used (see {@link LossDiagnostics#ratio()}). */
public record RatioStats(double mean, double min, double max) {}
