package dev.gspo.rollout;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class RolloutApplication {
    public static void main(String[] args) {
        SpringApplication.run(RolloutApplication.class, args);
    }
}
