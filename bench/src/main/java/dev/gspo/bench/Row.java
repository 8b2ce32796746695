package dev.gspo.bench;

/**
 * One measured line of the table.
 *
 * @param value   the headline number (tokens/s, GFLOP/s, milliseconds, …), always finite and positive when measured
 * @param gflops  FLOP/s achieved, in GFLOP/s, or NaN where FLOPs are not the point (publishing)
 * @param load    the 1-minute load average just before the measurement
 */
public record Row(String section, String name, double value, String unit, double gflops, double load, String note) {}
