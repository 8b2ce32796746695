package dev.gspo.optimizer.fleet;

import java.net.URI;

/** Observes each rollout request the fleet client makes (for per-outcome metrics). */
@FunctionalInterface
public interface FleetListener {
    /** @param outcome {@code ok}, {@code error} (failed, share moved on), {@code behind} (brought up to date) */
    void onRequest(URI replica, String outcome, double seconds);
}
