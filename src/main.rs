fn main() -> std::process::ExitCode {
    minikafka::cli::main()
}
