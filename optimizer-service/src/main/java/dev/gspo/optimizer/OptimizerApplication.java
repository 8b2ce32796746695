package dev.gspo.optimizer;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class OptimizerApplication {
    public static void main(String[] args) {
        SpringApplication.run(OptimizerApplication.class, args);
    }
}
