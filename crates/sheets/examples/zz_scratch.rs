use calamine::{Reader, Xlsx};
use std::io::BufReader;
use std::time::Instant;
fn run<RS: std::io::Read + std::io::Seek>(label: &str, rs: RS) {
    let start = Instant::now();
    let mut wb = Xlsx::new(rs).unwrap();
    let name = wb.sheet_names()[0].clone();
    let mut r = wb.worksheet_cells_reader(&name).unwrap();
    let mut n = 0u64;
    while let Some(_c) = r.next_cell().unwrap() { n += 1; }
    println!("{label}: {n} {:.3}", start.elapsed().as_secs_f64());
}
fn main() {
    let f = std::env::args().nth(1).unwrap();
    for _ in 0..3 {
        run("buf8k", BufReader::new(std::fs::File::open(&f).unwrap()));
        run("buf64k", BufReader::with_capacity(65536, std::fs::File::open(&f).unwrap()));
        let mut b = BufReader::with_capacity(65536, std::fs::File::open(&f).unwrap());
        run("mutref64k", &mut b);
        let bytes = std::fs::read(&f).unwrap();
        run("cursor", std::io::Cursor::new(bytes));
    }
}
