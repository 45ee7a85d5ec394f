fn main() -> anyhow::Result<()> {
    minikafka::cli::main()
}
