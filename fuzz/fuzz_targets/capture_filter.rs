//! A tcpdump capture expression from fuzz input: the text is the input up to its first NUL
//! byte, a frame what follows. The text is parsed and compiled to classic BPF for every link
//! type the compiler handles; each program is held to what the kernel asks of a socket filter
//! (it refuses the capture otherwise), then run on the frame.

#![no_main]

use inspect::decode::linktype;
use inspect::filter::bpf::Insn;
use inspect::filter::CaptureFilter;
use libfuzzer_sys::fuzz_target;

const LINKTYPES: [u32; 8] =
    [linktype::ETHERNET, linktype::LINUX_SLL, linktype::LINUX_SLL2, linktype::RAW, linktype::IPV4, linktype::IPV6, linktype::NULL, linktype::LOOP];

fuzz_target!(|data: &[u8]| {
    let (text, bytes) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text);
    let mut filter = match CaptureFilter::new(&text) {
        Ok(f) => f,
        Err(e) => {
            let _ = e.to_string();
            let _ = e.why_pointed();
            return;
        }
    };
    let _ = filter.uses_vlan();
    for lt in LINKTYPES {
        if let Ok(p) = filter.program(lt) {
            if let Err(why) = kernel_accepts(p) {
                panic!("{text:?} for link type {lt}: the kernel would refuse the program: {why}\n{p:?}");
            }
        }
        let _ = filter.matches(lt, bytes, bytes.len() as u32);
    }
});

/// The kernel's checks of a classic BPF socket filter (`bpf_check_classic` in net/core/filter.c):
/// 1 to 4096 instructions, jumps that land inside the program, scratch words 0 to 15, no
/// division by a constant zero nor shift by 32 or more, and a return last.
fn kernel_accepts(p: &[Insn]) -> Result<(), String> {
    if p.is_empty() || p.len() > 4096 {
        return Err(format!("{} instructions", p.len()));
    }
    for (pc, i) in p.iter().enumerate() {
        let inside = |off: u64| (pc as u64 + 1 + off) < p.len() as u64;
        let (class, op, mode) = (i.code & 0x07, i.code & 0xf0, i.code & 0xe0);
        let ok = match class {
            // ld, ldx: scratch words within the 16.
            0x00 | 0x01 => mode != 0x60 || i.k < 16,
            // st, stx
            0x02 | 0x03 => i.k < 16,
            // alu: div and mod by a constant zero, shifts by a constant of 32 or more.
            0x04 if i.code & 0x08 == 0 => match op {
                0x30 | 0x90 => i.k != 0,
                0x60 | 0x70 => i.k < 32,
                _ => true,
            },
            // jmp: ja by k, the others by jt and jf.
            0x05 if op == 0x00 => inside(u64::from(i.k)),
            0x05 => inside(u64::from(i.jt)) && inside(u64::from(i.jf)),
            _ => true,
        };
        if !ok {
            return Err(format!("instruction {pc}: {i:?}"));
        }
    }
    match p.last().map(|i| i.code & 0x07) {
        Some(0x06) => Ok(()),
        _ => Err("the last instruction is not a return".into()),
    }
}
