package dev.gspo.rollout.weights;

/**
 * Asked before the served base weights change (a full push, or an adapter merged into them): throws when something
 * built on the current weights forbids it. The named adapters ({@code dev.gspo.rollout.adapters}) refuse while any is
 * loaded, since they were trained on the weights served now.
 */
@FunctionalInterface
public interface BaseChangeGuard {
    BaseChangeGuard NONE = () -> {};

    /** @throws RuntimeException (a problem the web layer maps) when the base must not change now */
    void check();
}
